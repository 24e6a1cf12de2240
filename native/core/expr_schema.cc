#include "core/expr_schema.h"

#include <cstring>
#include <stdexcept>

#include <libnftnl/object.h>
#include <linux/netfilter/nf_tables.h>

namespace nftkit {
namespace {

using K = AttrKind;

#define ATTRS(name) static const AttrSpec name[] =
#define SPEC(n, arr) {n, arr, sizeof(arr) / sizeof(arr[0])}

ATTRS(kPayload) {{"dreg", NFTNL_EXPR_PAYLOAD_DREG, K::U32},       {"base", NFTNL_EXPR_PAYLOAD_BASE, K::U32},
                 {"offset", NFTNL_EXPR_PAYLOAD_OFFSET, K::U32},   {"len", NFTNL_EXPR_PAYLOAD_LEN, K::U32},
                 {"sreg", NFTNL_EXPR_PAYLOAD_SREG, K::U32},       {"csumType", NFTNL_EXPR_PAYLOAD_CSUM_TYPE, K::U32},
                 {"csumOffset", NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, K::U32}, {"csumFlags", NFTNL_EXPR_PAYLOAD_FLAGS, K::U32}};
ATTRS(kMeta) {{"key", NFTNL_EXPR_META_KEY, K::U32}, {"dreg", NFTNL_EXPR_META_DREG, K::U32}, {"sreg", NFTNL_EXPR_META_SREG, K::U32}};
ATTRS(kCt) {{"dreg", NFTNL_EXPR_CT_DREG, K::U32}, {"key", NFTNL_EXPR_CT_KEY, K::U32},
            {"dir", NFTNL_EXPR_CT_DIR, K::U8},    {"sreg", NFTNL_EXPR_CT_SREG, K::U32}};
ATTRS(kCmp) {{"sreg", NFTNL_EXPR_CMP_SREG, K::U32}, {"op", NFTNL_EXPR_CMP_OP, K::U32}, {"data", NFTNL_EXPR_CMP_DATA, K::Data}};
ATTRS(kRange) {{"sreg", NFTNL_EXPR_RANGE_SREG, K::U32}, {"op", NFTNL_EXPR_RANGE_OP, K::U32},
               {"from", NFTNL_EXPR_RANGE_FROM_DATA, K::Data}, {"to", NFTNL_EXPR_RANGE_TO_DATA, K::Data}};
ATTRS(kImm) {{"dreg", NFTNL_EXPR_IMM_DREG, K::U32}, {"data", NFTNL_EXPR_IMM_DATA, K::Data},
             {"verdict", NFTNL_EXPR_IMM_VERDICT, K::U32}, {"chain", NFTNL_EXPR_IMM_CHAIN, K::Str},
             {"chainId", NFTNL_EXPR_IMM_CHAIN_ID, K::U32}};
ATTRS(kCounter) {{"packets", NFTNL_EXPR_CTR_PACKETS, K::U64}, {"bytes", NFTNL_EXPR_CTR_BYTES, K::U64}};
ATTRS(kBitwise) {{"sreg", NFTNL_EXPR_BITWISE_SREG, K::U32}, {"dreg", NFTNL_EXPR_BITWISE_DREG, K::U32},
                 {"len", NFTNL_EXPR_BITWISE_LEN, K::U32},   {"mask", NFTNL_EXPR_BITWISE_MASK, K::Data},
                 {"xor", NFTNL_EXPR_BITWISE_XOR, K::Data},  {"op", NFTNL_EXPR_BITWISE_OP, K::U32},
                 {"data", NFTNL_EXPR_BITWISE_DATA, K::Data}};
ATTRS(kLookup) {{"sreg", NFTNL_EXPR_LOOKUP_SREG, K::U32}, {"dreg", NFTNL_EXPR_LOOKUP_DREG, K::U32},
                {"set", NFTNL_EXPR_LOOKUP_SET, K::Str},   {"setId", NFTNL_EXPR_LOOKUP_SET_ID, K::U32},
                {"flags", NFTNL_EXPR_LOOKUP_FLAGS, K::U32}};
ATTRS(kNat) {{"natType", NFTNL_EXPR_NAT_TYPE, K::U32}, {"family", NFTNL_EXPR_NAT_FAMILY, K::U32},
             {"regAddrMin", NFTNL_EXPR_NAT_REG_ADDR_MIN, K::U32}, {"regAddrMax", NFTNL_EXPR_NAT_REG_ADDR_MAX, K::U32},
             {"regProtoMin", NFTNL_EXPR_NAT_REG_PROTO_MIN, K::U32}, {"regProtoMax", NFTNL_EXPR_NAT_REG_PROTO_MAX, K::U32},
             {"flags", NFTNL_EXPR_NAT_FLAGS, K::U32}};
ATTRS(kMasq) {{"flags", NFTNL_EXPR_MASQ_FLAGS, K::U32}, {"regProtoMin", NFTNL_EXPR_MASQ_REG_PROTO_MIN, K::U32},
              {"regProtoMax", NFTNL_EXPR_MASQ_REG_PROTO_MAX, K::U32}};
ATTRS(kRedir) {{"regProtoMin", NFTNL_EXPR_REDIR_REG_PROTO_MIN, K::U32}, {"regProtoMax", NFTNL_EXPR_REDIR_REG_PROTO_MAX, K::U32},
               {"flags", NFTNL_EXPR_REDIR_FLAGS, K::U32}};
ATTRS(kTproxy) {{"family", NFTNL_EXPR_TPROXY_FAMILY, K::U32}, {"regAddr", NFTNL_EXPR_TPROXY_REG_ADDR, K::U32},
               {"regPort", NFTNL_EXPR_TPROXY_REG_PORT, K::U32}};
ATTRS(kSynproxy) {{"mss", NFTNL_EXPR_SYNPROXY_MSS, K::U16}, {"wscale", NFTNL_EXPR_SYNPROXY_WSCALE, K::U8},
                  {"flags", NFTNL_EXPR_SYNPROXY_FLAGS, K::U32}};
ATTRS(kReject) {{"rejectType", NFTNL_EXPR_REJECT_TYPE, K::U32}, {"code", NFTNL_EXPR_REJECT_CODE, K::U8}};
ATTRS(kLog) {{"prefix", NFTNL_EXPR_LOG_PREFIX, K::Str}, {"group", NFTNL_EXPR_LOG_GROUP, K::U16},
             {"snaplen", NFTNL_EXPR_LOG_SNAPLEN, K::U32}, {"qthreshold", NFTNL_EXPR_LOG_QTHRESHOLD, K::U16},
             {"level", NFTNL_EXPR_LOG_LEVEL, K::U32}, {"flags", NFTNL_EXPR_LOG_FLAGS, K::U32}};
ATTRS(kLimit) {{"rate", NFTNL_EXPR_LIMIT_RATE, K::U64}, {"unit", NFTNL_EXPR_LIMIT_UNIT, K::U64},
               {"burst", NFTNL_EXPR_LIMIT_BURST, K::U32}, {"limitType", NFTNL_EXPR_LIMIT_TYPE, K::U32},
               {"flags", NFTNL_EXPR_LIMIT_FLAGS, K::U32}};
ATTRS(kExthdr) {{"dreg", NFTNL_EXPR_EXTHDR_DREG, K::U32}, {"exthdrType", NFTNL_EXPR_EXTHDR_TYPE, K::U8},
                {"offset", NFTNL_EXPR_EXTHDR_OFFSET, K::U32}, {"len", NFTNL_EXPR_EXTHDR_LEN, K::U32},
                {"flags", NFTNL_EXPR_EXTHDR_FLAGS, K::U32}, {"op", NFTNL_EXPR_EXTHDR_OP, K::U32},
                {"sreg", NFTNL_EXPR_EXTHDR_SREG, K::U32}};
ATTRS(kRt) {{"key", NFTNL_EXPR_RT_KEY, K::U32}, {"dreg", NFTNL_EXPR_RT_DREG, K::U32}};
ATTRS(kByteorder) {{"dreg", NFTNL_EXPR_BYTEORDER_DREG, K::U32}, {"sreg", NFTNL_EXPR_BYTEORDER_SREG, K::U32},
                   {"op", NFTNL_EXPR_BYTEORDER_OP, K::U32}, {"len", NFTNL_EXPR_BYTEORDER_LEN, K::U32},
                   {"size", NFTNL_EXPR_BYTEORDER_SIZE, K::U32}};
ATTRS(kObjref) {{"objType", NFTNL_EXPR_OBJREF_IMM_TYPE, K::U32}, {"name", NFTNL_EXPR_OBJREF_IMM_NAME, K::Str},
                {"sreg", NFTNL_EXPR_OBJREF_SET_SREG, K::U32}, {"set", NFTNL_EXPR_OBJREF_SET_NAME, K::Str},
                {"setId", NFTNL_EXPR_OBJREF_SET_ID, K::U32}};
ATTRS(kQuota) {{"bytes", NFTNL_EXPR_QUOTA_BYTES, K::U64}, {"flags", NFTNL_EXPR_QUOTA_FLAGS, K::U32},
               {"consumed", NFTNL_EXPR_QUOTA_CONSUMED, K::U64}};
ATTRS(kConnlimit) {{"count", NFTNL_EXPR_CONNLIMIT_COUNT, K::U32}, {"flags", NFTNL_EXPR_CONNLIMIT_FLAGS, K::U32}};
ATTRS(kDynset) {{"sregKey", NFTNL_EXPR_DYNSET_SREG_KEY, K::U32}, {"sregData", NFTNL_EXPR_DYNSET_SREG_DATA, K::U32},
                {"op", NFTNL_EXPR_DYNSET_OP, K::U32}, {"timeout", NFTNL_EXPR_DYNSET_TIMEOUT, K::U64},
                {"set", NFTNL_EXPR_DYNSET_SET_NAME, K::Str}, {"setId", NFTNL_EXPR_DYNSET_SET_ID, K::U32},
                {"flags", NFTNL_EXPR_DYNSET_FLAGS, K::U32}};
ATTRS(kFib) {{"dreg", NFTNL_EXPR_FIB_DREG, K::U32}, {"result", NFTNL_EXPR_FIB_RESULT, K::U32}, {"flags", NFTNL_EXPR_FIB_FLAGS, K::U32}};
ATTRS(kSocket) {{"key", NFTNL_EXPR_SOCKET_KEY, K::U32}, {"dreg", NFTNL_EXPR_SOCKET_DREG, K::U32}, {"level", NFTNL_EXPR_SOCKET_LEVEL, K::U32}};
ATTRS(kOsf) {{"dreg", NFTNL_EXPR_OSF_DREG, K::U32}, {"ttl", NFTNL_EXPR_OSF_TTL, K::U8}, {"flags", NFTNL_EXPR_OSF_FLAGS, K::U32}};
ATTRS(kQueue) {{"num", NFTNL_EXPR_QUEUE_NUM, K::U16}, {"total", NFTNL_EXPR_QUEUE_TOTAL, K::U16},
               {"flags", NFTNL_EXPR_QUEUE_FLAGS, K::U16}, {"sregQnum", NFTNL_EXPR_QUEUE_SREG_QNUM, K::U32}};
ATTRS(kNumgen) {{"dreg", NFTNL_EXPR_NG_DREG, K::U32}, {"modulus", NFTNL_EXPR_NG_MODULUS, K::U32},
               {"ngType", NFTNL_EXPR_NG_TYPE, K::U32}, {"offset", NFTNL_EXPR_NG_OFFSET, K::U32}};
ATTRS(kHash) {{"sreg", NFTNL_EXPR_HASH_SREG, K::U32}, {"dreg", NFTNL_EXPR_HASH_DREG, K::U32},
             {"len", NFTNL_EXPR_HASH_LEN, K::U32}, {"modulus", NFTNL_EXPR_HASH_MODULUS, K::U32},
             {"seed", NFTNL_EXPR_HASH_SEED, K::U32}, {"offset", NFTNL_EXPR_HASH_OFFSET, K::U32},
             {"hashType", NFTNL_EXPR_HASH_TYPE, K::U32}};
ATTRS(kDup) {{"sregAddr", NFTNL_EXPR_DUP_SREG_ADDR, K::U32}, {"sregDev", NFTNL_EXPR_DUP_SREG_DEV, K::U32}};
ATTRS(kFwd) {{"sregDev", NFTNL_EXPR_FWD_SREG_DEV, K::U32}, {"sregAddr", NFTNL_EXPR_FWD_SREG_ADDR, K::U32},
            {"nfproto", NFTNL_EXPR_FWD_NFPROTO, K::U32}};
ATTRS(kXfrm) {{"key", NFTNL_EXPR_XFRM_KEY, K::U32}, {"dir", NFTNL_EXPR_XFRM_DIR, K::U8},
             {"spnum", NFTNL_EXPR_XFRM_SPNUM, K::U32}, {"dreg", NFTNL_EXPR_XFRM_DREG, K::U32}};
static const AttrSpec kNone[] = {{"", 0, K::U32}};

const ExprSpec kSpecs[] = {
    SPEC("payload", kPayload), SPEC("meta", kMeta),       SPEC("ct", kCt),
    SPEC("cmp", kCmp),         SPEC("range", kRange),     SPEC("immediate", kImm),
    SPEC("counter", kCounter), SPEC("bitwise", kBitwise), SPEC("lookup", kLookup),
    SPEC("nat", kNat),         SPEC("masq", kMasq),       SPEC("redir", kRedir),
    SPEC("reject", kReject),   SPEC("log", kLog),         SPEC("limit", kLimit),
    SPEC("exthdr", kExthdr),   SPEC("rt", kRt),           SPEC("byteorder", kByteorder),
    SPEC("objref", kObjref),   SPEC("quota", kQuota),     SPEC("connlimit", kConnlimit),
    SPEC("dynset", kDynset),   SPEC("fib", kFib),         SPEC("queue", kQueue),
    SPEC("tproxy", kTproxy),   SPEC("synproxy", kSynproxy), SPEC("socket", kSocket),
    SPEC("osf", kOsf),         SPEC("numgen", kNumgen),   SPEC("hash", kHash),
    SPEC("dup", kDup),         SPEC("fwd", kFwd),
    SPEC("xfrm", kXfrm),
    {"notrack", kNone, 0},
};

// Named objects share the expression machinery: same attribute kinds, other ids.
ATTRS(kObjCounter) {{"packets", NFTNL_OBJ_CTR_PKTS, K::U64}, {"bytes", NFTNL_OBJ_CTR_BYTES, K::U64}};
ATTRS(kObjQuota) {{"bytes", NFTNL_OBJ_QUOTA_BYTES, K::U64}, {"consumed", NFTNL_OBJ_QUOTA_CONSUMED, K::U64},
                  {"flags", NFTNL_OBJ_QUOTA_FLAGS, K::U32}};
ATTRS(kObjLimit) {{"rate", NFTNL_OBJ_LIMIT_RATE, K::U64}, {"unit", NFTNL_OBJ_LIMIT_UNIT, K::U64},
                  {"burst", NFTNL_OBJ_LIMIT_BURST, K::U32}, {"limitType", NFTNL_OBJ_LIMIT_TYPE, K::U32},
                  {"flags", NFTNL_OBJ_LIMIT_FLAGS, K::U32}};
// ct helper / ct expectation: field names distinct from the operation's own (name, size, timeout).
ATTRS(kObjCtHelper) {{"helper", NFTNL_OBJ_CT_HELPER_NAME, K::Str}, {"l3proto", NFTNL_OBJ_CT_HELPER_L3PROTO, K::U16},
                     {"l4proto", NFTNL_OBJ_CT_HELPER_L4PROTO, K::U8}};
ATTRS(kObjCtExpect) {{"l3proto", NFTNL_OBJ_CT_EXPECT_L3PROTO, K::U16}, {"l4proto", NFTNL_OBJ_CT_EXPECT_L4PROTO, K::U8},
                     {"dport", NFTNL_OBJ_CT_EXPECT_DPORT, K::U16}, {"expTimeout", NFTNL_OBJ_CT_EXPECT_TIMEOUT, K::U32},
                     {"expSize", NFTNL_OBJ_CT_EXPECT_SIZE, K::U8}};
ATTRS(kObjSynproxy) {{"mss", NFTNL_OBJ_SYNPROXY_MSS, K::U16}, {"wscale", NFTNL_OBJ_SYNPROXY_WSCALE, K::U8},
                     {"flags", NFTNL_OBJ_SYNPROXY_FLAGS, K::U32}};
const ExprSpec kObjCounterSpec = SPEC("counter", kObjCounter);
const ExprSpec kObjCtHelperSpec = SPEC("ct helper", kObjCtHelper);
const ExprSpec kObjCtExpectSpec = SPEC("ct expectation", kObjCtExpect);
const ExprSpec kObjQuotaSpec = SPEC("quota", kObjQuota);
const ExprSpec kObjLimitSpec = SPEC("limit", kObjLimit);
const ExprSpec kObjSynproxySpec = SPEC("synproxy", kObjSynproxy);

}  // namespace

const ExprSpec* FindExprSpec(const std::string& name) {
  for (const auto& s : kSpecs)
    if (name == s.name) return &s;
  return nullptr;
}

const AttrSpec* FindAttrSpec(const ExprSpec& spec, const std::string& field) {
  for (size_t i = 0; i < spec.count; i++)
    if (field == spec.attrs[i].field) return &spec.attrs[i];
  return nullptr;
}

const ExprSpec* FindObjSpec(uint32_t obj_type) {
  switch (obj_type) {
    case NFT_OBJECT_COUNTER: return &kObjCounterSpec;
    case NFT_OBJECT_QUOTA: return &kObjQuotaSpec;
    case NFT_OBJECT_LIMIT: return &kObjLimitSpec;
    case NFT_OBJECT_CT_HELPER: return &kObjCtHelperSpec;
    case NFT_OBJECT_CT_EXPECT: return &kObjCtExpectSpec;
    case NFT_OBJECT_SYNPROXY: return &kObjSynproxySpec;
    default: return nullptr;
  }
}

ExprPtr BuildExpr(const ExprDesc& desc) {
  if (!FindExprSpec(desc.name)) throw std::invalid_argument("unknown expression type '" + desc.name + "'");
  ExprPtr e(nftnl_expr_alloc(desc.name.c_str()));
  if (!e) throw std::bad_alloc();
  for (const auto& a : desc.attrs) {
    switch (a.kind) {
      case K::U8: nftnl_expr_set_u8(e.get(), a.id, static_cast<uint8_t>(a.num)); break;
      case K::U16: nftnl_expr_set_u16(e.get(), a.id, static_cast<uint16_t>(a.num)); break;
      case K::U32: nftnl_expr_set_u32(e.get(), a.id, static_cast<uint32_t>(a.num)); break;
      case K::U64: nftnl_expr_set_u64(e.get(), a.id, a.num); break;
      case K::Str: nftnl_expr_set_str(e.get(), a.id, a.bytes.c_str()); break;
      case K::Data: nftnl_expr_set(e.get(), a.id, a.bytes.data(), static_cast<uint32_t>(a.bytes.size())); break;
    }
  }
  if (!desc.exprs.empty()) {
    // libnftnl sends one nested expression as NFTA_DYNSET_EXPR and several as NFTA_DYNSET_EXPRESSIONS, as nft does.
    if (desc.name != "dynset") throw std::invalid_argument("only 'dynset' takes nested expressions");
    for (const auto& x : desc.exprs) nftnl_expr_add_expr(e.get(), NFTNL_EXPR_DYNSET_EXPRESSIONS, BuildExpr(x).release());
  }
  return e;
}

namespace {
int CollectNested(nftnl_expr* e, void* data) {
  static_cast<std::vector<Record>*>(data)->push_back(DecodeExpr(e));
  return 0;
}
}  // namespace

Record DecodeExpr(const nftnl_expr* expr) {
  Record r;
  const char* name = nftnl_expr_get_str(expr, NFTNL_EXPR_NAME);
  r.Str("type", name ? name : "");
  const ExprSpec* spec = name ? FindExprSpec(name) : nullptr;
  if (!spec) return r;  // unknown to nftkit: TS reports it as an opaque expression
  for (size_t i = 0; i < spec->count; i++) {
    const AttrSpec& a = spec->attrs[i];
    if (!nftnl_expr_is_set(expr, a.id)) continue;
    switch (a.kind) {
      case K::U8: r.Num(a.field, nftnl_expr_get_u8(expr, a.id)); break;
      case K::U16: r.Num(a.field, nftnl_expr_get_u16(expr, a.id)); break;
      case K::U32:
        // Verdicts are signed (NFT_JUMP = -3 ...): keep the sign.
        if (std::strcmp(a.field, "verdict") == 0)
          r.SNum(a.field, static_cast<int32_t>(nftnl_expr_get_u32(expr, a.id)));
        else
          r.Num(a.field, nftnl_expr_get_u32(expr, a.id));
        break;
      case K::U64: r.Num(a.field, nftnl_expr_get_u64(expr, a.id)); break;
      case K::Str: {
        const char* s = nftnl_expr_get_str(expr, a.id);
        r.Str(a.field, s ? s : "");
        break;
      }
      case K::Data: {
        uint32_t len = 0;
        const void* p = nftnl_expr_get(expr, a.id, &len);
        r.Bytes(a.field, p, p ? len : 0);
        break;
      }
    }
  }
  if (std::strcmp(name, "dynset") == 0) {
    std::vector<Record> nested;
    nftnl_expr_expr_foreach(expr, CollectNested, &nested);
    if (!nested.empty()) r.List("exprs", std::move(nested));
  }
  return r;
}

}  // namespace nftkit
