// RAII owners for libnftnl / libmnl objects: no bare *_free anywhere else.
#pragma once
#include <memory>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

namespace nftkit {

#define NFTKIT_OWNER(Type, freefn, Alias)                    \
  struct Alias##Free {                                       \
    void operator()(Type* p) const { freefn(p); }            \
  };                                                         \
  using Alias##Ptr = std::unique_ptr<Type, Alias##Free>;

NFTKIT_OWNER(nftnl_table, nftnl_table_free, Table)
NFTKIT_OWNER(nftnl_chain, nftnl_chain_free, Chain)
NFTKIT_OWNER(nftnl_rule, nftnl_rule_free, Rule)
NFTKIT_OWNER(nftnl_set, nftnl_set_free, Set)
NFTKIT_OWNER(nftnl_set_elem, nftnl_set_elem_free, Elem)
NFTKIT_OWNER(nftnl_expr, nftnl_expr_free, Expr)
NFTKIT_OWNER(nftnl_obj, nftnl_obj_free, Obj)
NFTKIT_OWNER(nftnl_gen, nftnl_gen_free, Gen)

#undef NFTKIT_OWNER

}  // namespace nftkit
