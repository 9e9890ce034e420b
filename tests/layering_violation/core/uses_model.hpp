#pragma once
// A core header that reaches up into model/: tools/check-layering.sh must report it.
#include "../model/model.hpp"
