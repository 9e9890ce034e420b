// safetensors: round trips, every way a file can be wrong (each message must name the file, the
// tensor and what the model expects, and leave the model unchanged), dtype conversion. PyTorch's
// exports: test_safetensors_torch.cpp.
#include "safetensors_support.hpp"

// ---------------------------------------------------------------- writing and round trips

TEST_CASE("a saved model loads back bit for bit, from a file and from memory", "[safetensors]") {
    TempDir dir;
    auto net = std::make_unique<Small>();
    ctnn::Rng rng(3);
    ctnn::init::pytorch_default(*net, rng);
    const fs::path file = dir / "small.safetensors";
    io::save_safetensors(*net, file, {{"trained_by", "test \"quoted\" \xc3\xa9"}});

    auto back = std::make_unique<Small>();
    io::load_safetensors(*back, file);
    REQUIRE(tensor_values(*back) == tensor_values(*net));

    const Bytes bytes = io::safetensors_bytes(*net, {{"trained_by", "test \"quoted\" \xc3\xa9"}});
    REQUIRE(read_all(file) == bytes);
    auto from_memory = std::make_unique<Small>();
    REQUIRE(io::try_load_safetensors(*from_memory, std::span<const std::byte>(bytes)).ok());
    REQUIRE(tensor_values(*from_memory) == tensor_values(*net));

    // Overwriting an existing file goes through a temporary that is renamed into place.
    io::save_safetensors(*net, file);
    REQUIRE(fs::exists(file));
    REQUIRE_FALSE(fs::exists(dir / "small.safetensors.partial"));
}

TEST_CASE("the file is PyTorch's layout: names, [Out, In] shapes, F32, metadata with the layer list", "[safetensors]") {
    auto net = std::make_unique<Tiny>();
    for (std::size_t i = 0; i < Tiny::parameter_block_size; ++i) net->parameters()[i] = float(i);
    const Bytes b = io::safetensors_bytes(*net, {{"epochs", "3"}});
    const std::uint64_t n = io::detail::load_le64(b.data());
    REQUIRE((8 + n) % 8 == 0);  // data aligned, like other writers
    const std::string_view header(reinterpret_cast<const char*>(b.data() + 8), n);
    io::detail::Header h;
    REQUIRE(io::detail::parse_header("t", header, b.size() - 8 - n, h).ok());
    REQUIRE(h.tensors.size() == 4);
    REQUIRE(h.tensors[0].name == "0.weight");
    REQUIRE(h.tensors[0].shape == std::vector<std::uint64_t>{2, 3});
    REQUIRE(h.tensors[2].name == "2.weight");
    REQUIRE(h.tensors[3].name == "2.bias");
    REQUIRE(h.tensors[3].dtype == io::detail::Dtype::F32);
    REQUIRE(h.metadata.at("ctnn.signature") == "Linear<3,2>,ReLU,Linear<2,1>");
    REQUIRE(h.metadata.at("format") == "pt");
    REQUIRE(h.metadata.at("epochs") == "3");
    // 0.bias [2] holds the floats after the padded weight block: parameters 16 and 17.
    const std::byte* data = b.data() + 8 + n;
    float bias1;
    std::memcpy(&bias1, data + h.tensors[1].begin + 4, 4);  // little-endian host
    REQUIRE(bias1 == float(Linear<3, 2>::bias_offset + 1));
}

TEST_CASE("signatures name the layer types, and equal LeakyReLU slopes share a name", "[safetensors]") {
    REQUIRE(io::signature<Activations>() ==
            "Linear<6,8>,LeakyReLUSlope<1,5>,Linear<8,8>,Sigmoid,Linear<8,7>,ReLU,Linear<7,3>,LeakyReLU");
    using Same = Seq<Linear<2, 2>, ctnn::LeakyReLUSlope<20, 100>>;
    REQUIRE(io::signature<Same>() == "Linear<2,2>,LeakyReLUSlope<1,5>");
    REQUIRE(io::model_name<Tiny>() == "ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>>");
}

namespace {

/// Saves through try_save_safetensors and save_safetensors: both must fail with `kind`, the same
/// message (naming the file and containing every fragment), and leave neither the file nor
/// its ".partial" behind.
template <class Net>
void expect_save_failure(const Net& net, const fs::path& file, const std::map<std::string, std::string>& metadata,
                         io::SaveErrorKind kind, std::initializer_list<std::string> fragments) {
    const io::SaveResult r = io::try_save_safetensors(net, file, metadata);
    CAPTURE(r.message);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.kind == kind);
    REQUIRE_THAT(r.message, StartsWith("ctnn: " + file.string() + ": "));
    for (const auto& f : fragments) REQUIRE_THAT(r.message, Contains(f));
    try {
        io::save_safetensors(net, file, metadata);
        FAIL("save_safetensors did not throw");
    } catch (const io::Error& e) {
        REQUIRE(std::string(e.what()) == r.message);
    }
    fs::path partial = file;
    partial += ".partial";
    REQUIRE_FALSE(fs::exists(partial));
}

}  // namespace

TEST_CASE("saving refuses NaN weights, the reserved metadata key and an unwritable path", "[safetensors]") {
    TempDir dir;
    auto net = std::make_unique<Tiny>();
    net->layer<2>().weight(0, 1) = std::numeric_limits<float>::quiet_NaN();
    expect_save_failure(*net, dir / "nan.safetensors", {}, io::SaveErrorKind::not_finite,
                        {"tensor \"2.weight\": element [0, 1] is NaN; refusing to write a file that could not be "
                         "loaded back"});
    REQUIRE_FALSE(fs::exists(dir / "nan.safetensors"));
    net->layer<2>().weight(0, 1) = -std::numeric_limits<float>::infinity();
    REQUIRE_THROWS_WITH(io::safetensors_bytes(*net), "ctnn: tensor \"2.weight\": element [0, 1] is -Inf; refusing to "
                                                     "write a file that could not be loaded back");
    net->layer<2>().weight(0, 1) = 1;
    expect_save_failure(*net, dir / "m.safetensors", {{"ctnn.signature", "x"}}, io::SaveErrorKind::invalid_metadata,
                        {"metadata key \"ctnn.signature\" is reserved"});
    expect_save_failure(*net, dir / "m.safetensors", {{"k", "\xff"}}, io::SaveErrorKind::invalid_metadata,
                        {"metadata \"k\" is not valid UTF-8"});
    expect_save_failure(*net, dir / "no" / "such" / "dir.safetensors", {}, io::SaveErrorKind::file,
                        {"cannot open", "dir.safetensors.partial for writing", "No such file or directory"});
    // The temporary is written, but cannot replace a directory: it is removed again.
    fs::create_directories(dir / "taken" / "inside");
    expect_save_failure(*net, dir / "taken", {}, io::SaveErrorKind::file, {"cannot rename the written file into place"});
    REQUIRE(fs::is_directory(dir / "taken" / "inside"));

    const io::SaveResult ok = io::try_save_safetensors(*net, dir / "m.safetensors", {{"k", "v"}});
    REQUIRE(ok.ok());
    REQUIRE(ok.message.empty());
    REQUIRE(read_all(dir / "m.safetensors") == io::safetensors_bytes(*net, {{"k", "v"}}));
}

TEST_CASE("a hand-made file in the documented layout loads", "[safetensors]") {
    auto net = std::make_unique<Tiny>();
    // Tensors in another order than the model's, metadata last, padding spaces: all fine.
    auto entries = tiny_entries();
    std::swap(entries[0], entries[3]);
    const Bytes b = file_of(json_of(entries, "\"__metadata__\":{\"note\":\"\\u00e9\\ud83d\\ude00\"}") + "   ",
                            f32_data(11));
    const io::LoadResult r = io::try_load_safetensors(*net, std::span<const std::byte>(b));
    INFO(r.message);
    REQUIRE(r.ok());
    REQUIRE(tensor_values(*net) == std::vector<float>{0.25f, 0.5f, 0.75f, 1, 1.25f, 1.5f, 1.75f, 2, 2.25f, 2.5f, 2.75f});
}

// ---------------------------------------------------------------- the model does not match

TEST_CASE("a missing tensor is named, with the layer that expects it", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries.pop_back();
    const auto msg = expect_failure(file_of(json_of(entries), f32_data(10)), Kind::missing_tensor,
                                    {"tensor \"2.bias\" is missing: ctnn::Linear<2,1> at position 2 expects it with "
                                     "shape [1] (F32); the file has \"0.weight\", \"0.bias\", \"2.weight\""});
    // An empty header (no tensors at all).
    expect_failure(file_of("{}", {}), Kind::missing_tensor, {"tensor \"0.weight\" is missing", "no tensors"});
}

TEST_CASE("an unexpected tensor is named, with why the model has no place for it", "[safetensors][errors]") {
    const auto with_extra = [](const std::string& name, std::vector<std::uint64_t> shape = {1}) {
        auto entries = tiny_entries();
        entries.push_back({name, "F32", shape, 44, 44 + 4 * (shape.size() == 2 ? shape[0] * shape[1] : shape[0])});
        return file_of(json_of(entries), f32_data(entries.back().end / 4));
    };
    expect_failure(with_extra("4.weight", {1, 1}), Kind::unexpected_tensor,
                   {"unexpected tensor \"4.weight\" [1, 1] (F32): ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>> has 3 layers "
                    "(positions 0 to 2)"});
    expect_failure(with_extra("1.weight"), Kind::unexpected_tensor,
                   {"unexpected tensor \"1.weight\"", "position 1 is ctnn::ReLU, which has no parameters"});
    expect_failure(with_extra("0.running_mean"), Kind::unexpected_tensor,
                   {"\"0.running_mean\"", "ctnn::Linear<3,2> at position 0 has only \"weight\", \"bias\""});
    expect_failure(with_extra("fc1.weight"), Kind::unexpected_tensor,
                   {"\"fc1.weight\"", "has no such tensor; it expects \"0.weight\", \"0.bias\", \"2.weight\", \"2.bias\""});
}

TEST_CASE("a wrong shape names the tensor, the expected and the found shape", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries[2].shape = {2, 1};  // the transpose of [1, 2]
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::wrong_shape,
                   {"tensor \"2.weight\": expected shape [1, 2] (F32) for ctnn::Linear<2,1> at position 2, found [2, 1]",
                    "transposed?"});
    entries[2].shape = {2};  // a rank mismatch, same size
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::wrong_shape,
                   {"tensor \"2.weight\": expected shape [1, 2] (F32) for ctnn::Linear<2,1> at position 2, found [2]"});
    // The brief's example: a bigger model whose middle layer is the wrong size.
    using Mnist = Seq<Linear<784, 256>, ctnn::ReLU, Linear<256, 256>, ctnn::ReLU, Linear<256, 10>>;
    using Other = Seq<Linear<784, 256>, ctnn::ReLU, Linear<256, 128>, ctnn::ReLU, Linear<128, 10>>;
    auto other = std::make_unique<Other>();
    const Bytes b = io::safetensors_bytes(*other);
    expect_failure<Mnist>(b, Kind::wrong_shape,
                          {"tensor \"2.weight\": expected shape [256, 256] (F32) for ctnn::Linear<256,256> at "
                           "position 2, found [128, 256]"});
}

TEST_CASE("a dtype ctnn cannot convert, or one the format does not have, is refused", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries[1].dtype = "I32";
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::unsupported_dtype,
                   {"tensor \"0.bias\": dtype I32 is not supported: ctnn::Linear<3,2> at position 0 expects F32 "
                    "(F16, BF16 and F64 are converted)"});
    entries[1].dtype = "F33";
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::unsupported_dtype,
                   {"tensor \"0.bias\": unknown dtype \"F33\""});
    entries[1].dtype = "I64";  // a known dtype of another size: the offsets no longer fit the shape
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets,
                   {"tensor \"0.bias\": shape [2] of I64 needs 16 bytes, but data_offsets are [24, 32]"});
}

TEST_CASE("a file saved from a model with other activations is refused", "[safetensors][errors]") {
    using TanhTiny = Seq<Linear<3, 2>, ctnn::Tanh, Linear<2, 1>>;
    auto net = std::make_unique<Tiny>();
    expect_failure<TanhTiny>(io::safetensors_bytes(*net), Kind::wrong_model,
                             {"saved from ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>>",
                              "but the model is ctnn::Seq<Linear<3,2>,Tanh,Linear<2,1>>"});
}

TEST_CASE("NaN and infinities in the weights are refused, in every dtype", "[safetensors][errors]") {
    Bytes data = f32_data(11);
    const auto put = [&](std::size_t index, float v) {
        const auto u = std::bit_cast<std::uint32_t>(v);
        for (int i = 0; i < 4; ++i) data[4 * index + std::size_t(i)] = std::byte(u >> (8 * i));
    };
    put(4, std::numeric_limits<float>::quiet_NaN());  // 0.weight [1, 1]
    expect_failure(file_of(json_of(tiny_entries()), data), Kind::not_finite,
                   {"tensor \"0.weight\": element [1, 1] is NaN; a model with non-finite weights is refused"});
    data = f32_data(11);
    put(10, -std::numeric_limits<float>::infinity());  // 2.bias [0]
    expect_failure(file_of(json_of(tiny_entries()), data), Kind::not_finite, {"tensor \"2.bias\": element [0] is -Inf"});

    // F16 +Inf (0x7C00) in 0.bias, other tensors F32.
    auto entries = tiny_entries();
    entries[1] = {"0.bias", "F16", {2}, 24, 28};
    for (std::size_t k = 2; k < 4; ++k) entries[k].begin -= 4, entries[k].end -= 4;
    Bytes d16 = f32_data(6);
    append_le(d16, 0x3C00, 2);
    append_le(d16, 0x7C00, 2);
    for (float f : {1.0f, 2.0f, 3.0f}) append_f32(d16, f);
    expect_failure(file_of(json_of(entries), d16), Kind::not_finite, {"tensor \"0.bias\": element [1] is +Inf"});
    // BF16 NaN (0x7FC0).
    entries[1].dtype = "BF16";
    d16[24 + 2] = std::byte(0xC0), d16[24 + 3] = std::byte(0x7F);
    expect_failure(file_of(json_of(entries), d16), Kind::not_finite, {"tensor \"0.bias\": element [1] is NaN"});
    // F64 beyond the float range.
    entries = tiny_entries();
    entries[3] = {"2.bias", "F64", {1}, 40, 48};
    Bytes d64 = f32_data(10);
    append_le(d64, std::bit_cast<std::uint64_t>(1e300), 8);
    expect_failure(file_of(json_of(entries), d64), Kind::not_finite,
                   {"tensor \"2.bias\": element [0] is 1e+300, beyond the float range"});
}

// ---------------------------------------------------------------- the container is broken

TEST_CASE("offsets that overlap, leave a hole or run past the file are refused", "[safetensors][errors]") {
    auto entries = tiny_entries();
    entries[1].begin = 20, entries[1].end = 28;  // inside 0.weight
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets,
                   {"tensors \"0.weight\" (bytes [0, 24)) and \"0.bias\" (bytes [20, 28)) overlap"});

    entries = tiny_entries();
    for (std::size_t k = 1; k < 4; ++k) entries[k].begin += 4, entries[k].end += 4;
    expect_failure(file_of(json_of(entries), f32_data(12)), Kind::bad_offsets,
                   {"bytes [24, 28) of the data section belong to no tensor (a hole between \"0.weight\" and "
                    "\"0.bias\")"});
    expect_failure(file_of(json_of(tiny_entries()), f32_data(12)), Kind::bad_offsets,
                   {"bytes [44, 48) at the end of the data section belong to no tensor (a hole after \"2.bias\")"});
    entries = tiny_entries();
    entries[0].begin = 4, entries[0].end = 28;
    expect_failure(file_of(json_of(entries), f32_data(12)), Kind::bad_offsets, {"before \"0.weight\""});

    // A file cut short inside the data.
    expect_failure(file_of(json_of(tiny_entries()), f32_data(10)), Kind::bad_offsets,
                   {"tensor \"2.bias\": data_offsets [40, 44] run past the end of the file: its data section has "
                    "40 bytes"});
    entries = tiny_entries();
    entries[0].end = 20;
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets,
                   {"tensor \"0.weight\": shape [2, 3] of F32 needs 24 bytes, but data_offsets are [0, 20]"});
    entries = tiny_entries();
    entries[3].begin = 44, entries[3].end = 40;
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets, {"data_offsets are [44, 40]"});
    entries = tiny_entries();
    entries[3].shape = {1ull << 32, 1ull << 32, 1ull << 32};
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::bad_offsets, {"\"2.bias\": shape", "is too large"});
}

TEST_CASE("a truncated file, a huge header length or a missing file are refused", "[safetensors][errors]") {
    expect_failure(Bytes{}, Kind::truncated, {"truncated: the file has 0 bytes"});
    expect_failure(Bytes(5), Kind::truncated, {"truncated: the file has 5 bytes, but a safetensors file starts"});
    const std::string h = json_of(tiny_entries());
    expect_failure(file_of(h, {}, h.size() + 10), Kind::truncated,
                   {"truncated: the header length field says " + std::to_string(h.size() + 10) + " bytes but only " +
                    std::to_string(h.size()) + " follow it"});
    expect_failure(file_of(h, f32_data(11), 200'000'000), Kind::header_too_big,
                   {"the header length field says 200000000 bytes, above the limit of 100000000",
                    "is this a safetensors file?"});
    // A text file: its first 8 bytes read as a length.
    const std::string text = "hello, this is not a model at all\n";
    Bytes t;
    for (char c : text) t.push_back(std::byte(c));
    expect_failure(t, Kind::header_too_big, {"is this a safetensors file?"});

    TempDir dir;
    auto net = std::make_unique<Tiny>();
    io::LoadResult r = io::try_load_safetensors(*net, dir / "absent.safetensors");
    REQUIRE(r.kind == Kind::file);
    REQUIRE_THAT(r.message, Contains("absent.safetensors: cannot open: no such file"));
    r = io::try_load_safetensors(*net, dir.path);
    REQUIRE(r.kind == Kind::file);
    REQUIRE_THAT(r.message, Contains("not a regular file"));
    REQUIRE_THROWS_AS(io::load_safetensors(*net, dir / "absent.safetensors"), io::Error);
}

TEST_CASE("a header that is not JSON says where", "[safetensors][errors]") {
    const auto header_only = [](const std::string& h) { return file_of(h, {}); };
    const std::string bad_json = "the header is not valid JSON: ";
    expect_failure(header_only(""), Kind::invalid_json, {bad_json + "expected a value, found end of text at byte 0"});
    expect_failure(header_only("{\"0.weight\":"), Kind::invalid_json, {bad_json, "end of text at byte 12"});
    expect_failure(header_only("{\"a\":1,}"), Kind::invalid_json, {bad_json + "expected a string key, found '}' at byte 7"});
    expect_failure(header_only("{\"a\":[1 2]}"), Kind::invalid_json, {bad_json + "expected ',' or ']', found '2'"});
    expect_failure(header_only("{\"a\":01}"), Kind::invalid_json, {bad_json + "expected ',' or '}', found '1'"});
    expect_failure(header_only("{\"a\":tru}"), Kind::invalid_json, {bad_json + "expected a value"});
    expect_failure(header_only("{\"a\\q\":1}"), Kind::invalid_json, {bad_json + "invalid escape"});
    expect_failure(header_only("{\"a\tb\":1}"), Kind::invalid_json, {bad_json + "control character"});
    expect_failure(header_only("{\"\xc3(\":1}"), Kind::invalid_json, {bad_json + "invalid UTF-8"});
    expect_failure(header_only("{\"\xed\xa0\x80\":1}"), Kind::invalid_json, {bad_json + "invalid UTF-8"});
    expect_failure(header_only("{\"\\ud800\":1}"), Kind::invalid_json, {bad_json + "unpaired UTF-16 surrogate"});
    expect_failure(header_only("{} x"), Kind::invalid_json, {bad_json + "unexpected 'x' after the JSON value"});
    expect_failure(header_only("{\"a\":1}\0"s), Kind::invalid_json, {bad_json + "unexpected byte 0x00"});
    expect_failure(header_only(std::string(100, '[') + std::string(100, ']')), Kind::invalid_json,
                   {bad_json + "nested too deeply"});
}

TEST_CASE("JSON that is not a safetensors header says what is wrong", "[safetensors][errors]") {
    const auto header_only = [](const std::string& h) { return file_of(h, {}); };
    expect_failure(header_only("[1, 2]"), Kind::invalid_header, {"the header must be a JSON object"});
    expect_failure(header_only(" {}"), Kind::invalid_header, {"starting with '{'"});
    expect_failure(header_only("{\"0.weight\":[]}"), Kind::invalid_header,
                   {"tensor \"0.weight\": expected an object {\"dtype\", \"shape\", \"data_offsets\"}, found an array"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3]}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": no \"data_offsets\""});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":32}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": \"dtype\" must be a string"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,-3]}}"), Kind::invalid_header,
                   {"\"shape\" must be an array of non-negative integers"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3.0]}}"), Kind::invalid_header,
                   {"\"shape\" must be an array of non-negative integers"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999]}}"),
                   Kind::invalid_header, {"\"shape\" must be an array of non-negative integers"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]}}"),
                   Kind::invalid_header, {"\"data_offsets\" must be [begin, end]"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"dtype\":\"F32\"}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": \"dtype\" appears twice"});
    expect_failure(header_only("{\"0.weight\":{\"dtype\":\"F32\",\"strides\":[1]}}"), Kind::invalid_header,
                   {"tensor \"0.weight\": unknown key \"strides\""});
    expect_failure(header_only("{\"__metadata__\":{\"epochs\":3}}"), Kind::invalid_header,
                   {"\"__metadata__\" must be an object of strings: \"epochs\" is a number"});
    expect_failure(header_only("{\"__metadata__\":{},\"__metadata__\":{}}"), Kind::invalid_header,
                   {"\"__metadata__\" appears twice"});
    auto entries = tiny_entries();
    entries.push_back(entries[0]);
    expect_failure(file_of(json_of(entries), f32_data(11)), Kind::invalid_header, {"tensor \"0.weight\" appears twice"});
    // Names from the file are quoted with odd bytes escaped.
    expect_failure(header_only("{\"a\\n\\\"b\":{}}"), Kind::invalid_header, {"tensor \"a\\x0a\\\"b\""});
}

// ---------------------------------------------------------------- tensor tables

namespace {

/// A training checkpoint's shape: a model's weights and one more block of the same layout.
struct Checkpoint {
    std::unique_ptr<Tiny> net = std::make_unique<Tiny>();
    std::vector<float> moment = std::vector<float>(Tiny::parameter_block_size, 0.0f);

    std::vector<io::TensorBlock<float>> blocks() {
        return {io::model_tensors<Tiny>(net->parameters()), io::model_tensors<Tiny>(moment.data(), "adam.m.")};
    }
    std::vector<io::TensorBlock<const float>> blocks() const {
        return {io::model_tensors<Tiny>(std::as_const(*net).parameters()),
                io::model_tensors<Tiny>(std::as_const(moment).data(), "adam.m.")};
    }
    void fill(float first) {
        for (std::size_t i = 0; i < Tiny::parameter_block_size; ++i) {
            net->parameters()[i] = first + float(i);
            moment[i] = first - float(i);
        }
    }
    std::vector<float> values() const {
        auto v = tensor_values(*net);
        for (const auto& t : Tiny::tensors) v.insert(v.end(), moment.begin() + long(t.offset), moment.begin() + long(t.offset + t.info.size()));
        return v;
    }
};

}  // namespace

TEST_CASE("a model's tensor table names, shapes and places Net::tensors", "[safetensors][tables]") {
    std::vector<float> block(Tiny::parameter_block_size);
    const auto table = io::model_tensors<Tiny>(block.data(), "grad.");
    REQUIRE(table.prefix == "grad.");
    REQUIRE(table.owner == "ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>>");
    REQUIRE(table.tensors.size() == 4);
    REQUIRE(table.tensors[2].name == "2.weight");
    REQUIRE(table.tensors[2].shape == std::vector<std::size_t>{1, 2});
    REQUIRE(table.tensors[2].data == block.data() + Tiny::tensors[2].offset);
    REQUIRE(table.tensors[2].owner == "ctnn::Linear<2,1> at position 2");
    REQUIRE(table.tensors[3].size() == 1);
}

TEST_CASE("several tensor blocks save to one file and load back bit for bit", "[safetensors][tables]") {
    TempDir dir;
    Checkpoint saved;
    saved.fill(0.5f);
    const fs::path file = dir / "checkpoint.safetensors";
    REQUIRE(io::try_save_tensors(file, std::as_const(saved).blocks(), {{"step", "42"}}).ok());
    REQUIRE(read_all(file) == io::tensors_bytes(std::as_const(saved).blocks(), {{"step", "42"}}));

    Checkpoint loaded;
    io::Metadata metadata;
    io::LoadOptions options;
    options.metadata = &metadata;
    const io::LoadResult r = io::try_load_tensors(file, loaded.blocks(), options);
    INFO(r.message);
    REQUIRE(r.ok());
    REQUIRE(loaded.values() == saved.values());
    REQUIRE(metadata == io::Metadata{{"format", "pt"}, {"step", "42"}});

    Checkpoint from_memory;
    const Bytes bytes = read_all(file);
    io::load_tensors(std::span<const std::byte>(bytes), "checkpoint", from_memory.blocks());
    REQUIRE(from_memory.values() == saved.values());

    // A model alone does not load from it: the second block's tensors have no place there.
    auto net = std::make_unique<Tiny>();
    const io::LoadResult alone = io::try_load_safetensors(*net, file);
    REQUIRE(alone.kind == Kind::unexpected_tensor);
    REQUIRE_THAT(alone.message, Contains("unexpected tensor \"adam.m.0.weight\" [2, 3] (F32): ctnn::Seq<Linear<3,2>,"
                                         "ReLU,Linear<2,1>> has no such tensor; it expects \"0.weight\""));
}

TEST_CASE("loading tensor blocks names what is missing or unexpected, and touches nothing on failure",
          "[safetensors][tables]") {
    Checkpoint saved;
    saved.fill(1.0f);
    Checkpoint target;
    target.fill(7.0f);
    const auto before = target.values();
    const auto expect = [&](const Bytes& bytes, Kind kind, const std::string& fragment,
                            const io::LoadOptions& options = {}) {
        const io::LoadResult r = io::try_load_tensors(std::span<const std::byte>(bytes), "ckpt", target.blocks(), options);
        CAPTURE(r.message);
        REQUIRE(r.kind == kind);
        REQUIRE_THAT(r.message, StartsWith("ctnn: ckpt: ") && Contains(fragment));
        REQUIRE(target.values() == before);
    };
    // The model's file alone: the second block is missing, named with its prefix and owner.
    expect(io::safetensors_bytes(*saved.net), Kind::missing_tensor,
           "tensor \"adam.m.0.weight\" is missing: ctnn::Linear<3,2> at position 0 expects it with shape [2, 3]");
    // A tensor under the second block's prefix that Tiny has no place for: the model explains.
    std::vector<float> extra(1, 1.0f);
    auto blocks = std::as_const(saved).blocks();
    blocks.push_back({"adam.m.", {{"7.weight", {1}, extra.data(), "test"}}, "test", {}});
    expect(io::tensors_bytes(blocks), Kind::unexpected_tensor,
           "unexpected tensor \"adam.m.7.weight\" [1] (F32): ctnn::Seq<Linear<3,2>,ReLU,Linear<2,1>> has 3 layers");
    // A NaN in the last block's last tensor: no block is touched.
    Bytes bytes = io::tensors_bytes(std::as_const(saved).blocks());
    const std::uint64_t n = io::detail::load_le64(bytes.data());
    const std::uint32_t nan = std::bit_cast<std::uint32_t>(std::numeric_limits<float>::quiet_NaN());
    for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + std::size_t(i)] = std::byte(nan >> (8 * i));
    REQUIRE(bytes.size() > 8 + n);
    expect(bytes, Kind::not_finite, "tensor \"adam.m.2.bias\": element [0] is NaN");
    // The caller's metadata check runs before the data is read.
    io::LoadOptions options;
    options.check_metadata = [](const io::Metadata& m) {
        return m.count("step") ? std::string() : std::string("not a checkpoint: no \"step\" in the metadata");
    };
    expect(io::tensors_bytes(std::as_const(saved).blocks()), Kind::wrong_model, "not a checkpoint: no \"step\"", options);
    // A file whose tensor carries no block's prefix.
    std::vector<io::TensorBlock<float>> prefixed{io::model_tensors<Tiny>(target.moment.data(), "adam.m.")};
    const io::LoadResult r = io::try_load_tensors(std::span<const std::byte>(io::safetensors_bytes(*saved.net)), "ckpt",
                                                  prefixed);
    REQUIRE(r.kind == Kind::missing_tensor);
    Bytes both = io::tensors_bytes(std::as_const(saved).blocks());
    const io::LoadResult u = io::try_load_tensors(std::span<const std::byte>(both), "ckpt", prefixed);
    REQUIRE(u.kind == Kind::unexpected_tensor);
    REQUIRE_THAT(u.message, Contains("\"0.weight\" [2, 3] (F32): no tensor of that name is expected; the expected "
                                     "tensors are \"adam.m.0.weight\""));
}

TEST_CASE("a table of any shapes round-trips, and saving refuses what a file cannot hold", "[safetensors][tables]") {
    std::vector<float> embedding(12), scale{2.5f};
    for (std::size_t i = 0; i < embedding.size(); ++i) embedding[i] = float(i) / 8;
    const std::vector<io::TensorBlock<const float>> table{
        {"", {{"embedding", {2, 2, 3}, embedding.data(), "the embedding"}, {"scale", {}, scale.data(), "the scale"}},
         "my model", {}}};
    const Bytes bytes = io::tensors_bytes(table);

    std::vector<float> embedding_back(12), scale_back(1);
    const std::vector<io::TensorBlock<float>> into{
        {"", {{"embedding", {2, 2, 3}, embedding_back.data(), "the embedding"}, {"scale", {}, scale_back.data(), "the scale"}},
         "my model", {}}};
    io::load_tensors(std::span<const std::byte>(bytes), "mine", into);
    REQUIRE(embedding_back == embedding);
    REQUIRE(scale_back == scale);
    // A shape differing in one dimension, and the generic "no such tensor" hint.
    std::vector<io::TensorBlock<float>> other = into;
    other[0].tensors[0].shape = {2, 3, 2};
    const io::LoadResult r = io::try_load_tensors(std::span<const std::byte>(bytes), "mine", other);
    REQUIRE(r.kind == Kind::wrong_shape);
    REQUIRE_THAT(r.message, Contains("tensor \"embedding\": expected shape [2, 3, 2] (F32) for the embedding, found "
                                     "[2, 2, 3]"));
    other = into;
    other[0].tensors.pop_back();
    REQUIRE_THAT(io::try_load_tensors(std::span<const std::byte>(bytes), "mine", other).message,
                 Contains("unexpected tensor \"scale\" [] (F32): my model has no such tensor; it expects \"embedding\""));

    TempDir dir;
    const auto refused = [&](const std::vector<io::TensorBlock<const float>>& blocks, io::SaveErrorKind kind,
                             const std::string& fragment) {
        const io::SaveResult s = io::try_save_tensors(dir / "t.safetensors", blocks);
        CAPTURE(s.message);
        REQUIRE(s.kind == kind);
        REQUIRE_THAT(s.message, Contains(fragment));
        REQUIRE_THROWS_WITH(io::save_tensors(dir / "t.safetensors", blocks), s.message);
        REQUIRE(fs::is_empty(dir.path));
    };
    embedding[7] = std::numeric_limits<float>::infinity();
    refused(table, io::SaveErrorKind::not_finite, "tensor \"embedding\": element [1, 0, 1] is +Inf");
    embedding[7] = 0;
    auto twice = table;
    twice.push_back(table[0]);
    refused(twice, io::SaveErrorKind::invalid_table, "two tensors to save are named \"embedding\"");
    auto reserved = table;
    reserved[0].tensors[1].name = "__metadata__";
    refused(reserved, io::SaveErrorKind::invalid_table, "tensor name \"__metadata__\" cannot be saved");
}

// ---------------------------------------------------------------- dtypes

TEST_CASE("F16, BF16 and F64 convert exactly as IEEE rounding says", "[safetensors][dtype]") {
    using io::detail::bf16_to_float;
    using io::detail::f16_to_float;
    REQUIRE(f16_to_float(0x3C00) == 1.0f);
    REQUIRE(f16_to_float(0xC000) == -2.0f);
    REQUIRE(f16_to_float(0x7BFF) == 65504.0f);
    REQUIRE(f16_to_float(0x0001) == 0x1p-24f);  // smallest subnormal
    REQUIRE(f16_to_float(0x03FF) == 1023 * 0x1p-24f);
    REQUIRE(f16_to_float(0x0400) == 0x1p-14f);  // smallest normal
    REQUIRE(f16_to_float(0x3555) == 0.333251953125f);
    REQUIRE(std::signbit(f16_to_float(0x8000)));
    REQUIRE(bf16_to_float(0x3F80) == 1.0f);
    REQUIRE(bf16_to_float(0x4049) == 3.140625f);
    REQUIRE(bf16_to_float(0x0001) == std::bit_cast<float>(0x00010000u));

    // One file with a tensor in each: 0.weight F64, 0.bias F16, 2.weight BF16, 2.bias F32.
    std::vector<Entry> entries{{"0.weight", "F64", {2, 3}, 0, 48},
                               {"0.bias", "F16", {2}, 48, 52},
                               {"2.weight", "BF16", {1, 2}, 52, 56},
                               {"2.bias", "F32", {1}, 56, 60}};
    Bytes d;
    const double w0[6] = {0.1, -1e-30, 3.0, 1e-45, -0.0, double(std::numeric_limits<float>::max())};
    for (double v : w0) append_le(d, std::bit_cast<std::uint64_t>(v), 8);
    append_le(d, 0x3555, 2), append_le(d, 0x0001, 2);
    append_le(d, 0x4049, 2), append_le(d, 0xC000, 2);
    append_f32(d, 0.5f);
    auto net = std::make_unique<Tiny>();
    const Bytes file = file_of(json_of(entries), d);
    io::load_safetensors(*net, std::span<const std::byte>(file));
    const auto v = tensor_values(*net);
    REQUIRE(v[0] == 0.1f);
    REQUIRE(v[1] == float(-1e-30));
    REQUIRE(v[2] == 3.0f);
    REQUIRE(v[3] == float(1e-45));  // rounds to the smallest float subnormal
    REQUIRE(v[5] == std::numeric_limits<float>::max());
    REQUIRE(v[6] == 0.333251953125f);
    REQUIRE(v[7] == 0x1p-24f);
    REQUIRE(v[8] == 3.140625f);
    REQUIRE(v[9] == -2.0f);
    REQUIRE(v[10] == 0.5f);
}

TEST_CASE("check_writable tries a save's file without writing it, and names the path when it cannot", "[safetensors]") {
    const test::TempDir dir;
    const auto path = dir / "model.safetensors";
    CHECK(ctnn::io::try_check_writable(path));
    CHECK_FALSE(std::filesystem::exists(path));  // nothing left behind
    CHECK(std::filesystem::is_empty(dir.path));

    const auto missing = dir / "no/such/folder/model.safetensors";
    const auto r = ctnn::io::try_check_writable(missing);
    REQUIRE_FALSE(r);
    CHECK(r.kind == ctnn::io::SaveErrorKind::file);
    CHECK_THAT(r.message, Catch::Contains(missing.string() + ": cannot be written"));
    CHECK_THROWS_WITH(ctnn::io::check_writable(dir.path), Catch::Contains("is a directory"));
}
