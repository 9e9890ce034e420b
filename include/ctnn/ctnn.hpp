#pragma once
// ctnn: neural networks as C++ types. The umbrella header: every public part of the library.
#include "core/errors.hpp"  // first, so compile errors show a short include chain
#include "core/seq.hpp"
#include "init/normal.hpp"
#include "init/pytorch_default.hpp"
#include "init/random.hpp"
#include "init/xavier.hpp"
#include "layers/leaky_relu.hpp"
#include "layers/linear.hpp"
#include "layers/relu.hpp"
#include "layers/sigmoid.hpp"
#include "layers/tanh.hpp"
#include "losses/cross_entropy.hpp"
#include "losses/mse.hpp"
#include "optim/adam.hpp"
#include "optim/sgd.hpp"
#include "train/batch.hpp"
#include "train/batch_sampler.hpp"
#include "train/dataset.hpp"
#include "train/evaluate.hpp"
#include "train/progress.hpp"
#include "train/trainer.hpp"
// io/idx.hpp is not included here: it needs zlib (link the CMake target ctnn::io).
