// The table of kernel expressions nftkit speaks: for each expression name, its
// attributes with their libnftnl ids and storage kinds. Both directions (building
// nftnl_expr from ExprDesc and decoding dumps into Records) are driven by it.
#pragma once
#include <string>

#include "core/types.h"
#include "util/handles.h"

namespace nftkit {

struct AttrSpec {
  const char* field;  // name used on the JS side
  uint16_t id;        // libnftnl attribute id
  AttrKind kind;
};

struct ExprSpec {
  const char* name;  // kernel expression name
  const AttrSpec* attrs;
  size_t count;
};

// Looks up an expression by name; nullptr if nftkit does not know it.
const ExprSpec* FindExprSpec(const std::string& name);
// Looks up an attribute of an expression by JS field name; nullptr if unknown.
const AttrSpec* FindAttrSpec(const ExprSpec& spec, const std::string& field);

// Builds a libnftnl expression; throws std::invalid_argument on unknown names.
ExprPtr BuildExpr(const ExprDesc& desc);
// Decodes a libnftnl expression into a record {type, <field>: value, ...}.
Record DecodeExpr(const nftnl_expr* expr);

// Attribute specs of named objects (counter, quota, limit) keyed by object type.
const ExprSpec* FindObjSpec(uint32_t obj_type);

}  // namespace nftkit
