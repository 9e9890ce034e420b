#pragma once
// type_at<I, Ts...>: the I-th type of a pack with constant instantiation depth (overload
// resolution picks the base, as Boost.Mp11 and Hana do internally), so deep Seqs stay cheap.
#include <cstddef>
#include <utility>

namespace ctnn::detail {

template <std::size_t I, class T>
struct indexed {
    using type = T;
};

template <class Indices, class... Ts>
struct indexer;

template <std::size_t... Is, class... Ts>
struct indexer<std::index_sequence<Is...>, Ts...> : indexed<Is, Ts>... {};

template <std::size_t I, class T>
indexed<I, T> select_indexed(const indexed<I, T>&);

template <std::size_t I, class... Ts>
using type_at = typename decltype(select_indexed<I>(
    std::declval<indexer<std::index_sequence_for<Ts...>, Ts...>>()))::type;

}  // namespace ctnn::detail
