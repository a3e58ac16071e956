// Readable messages for every code of the registry (API.md; utils/errors.py is the server's
// copy, and tests/test_frontend.py fails when a code has no message here).
// The server's own `error` text is shown under it when it says something more specific.

const MESSAGES = {
  1001: "请先登录(登录已过期)",
  1002: "请求格式不正确",
  1003: "服务暂时不可用,什么也没有改变,请稍后再试",
  1004: "操作太频繁了,请稍后再试",
  1005: "用户名或密码错误",
  1006: "没有找到",
  1007: "不支持这个操作(请求方法不允许)",
  1008: "请求格式不受支持",
  1009: "服务器出错了,请稍后再试",
  1010: "这门课程不存在或已下线",
  1011: "这个有效期不属于该课程",
  1012: "购物车里没有这门课程",
  1013: "购物车已满,请先结算或删除一些课程",
  1020: "结算失败",
  1021: "请至少选择一门课程去结算",
  1022: "所选课程已不在购物车中",
  1023: "课程或价格已下线,请重新选择",
  1024: "读取结算中心失败",
  1026: "没有要修改的优惠券",
  1027: "这门课程不在结算中心",
  1028: "这张课程优惠券不能用于这门课程",
  1029: "这张全场优惠券现在不能使用",
  1030: "优惠券不存在",
  1031: "不在领取时间内",
  1032: "已达到这张优惠券的领取上限",
  1033: "这张优惠券已领完",
  1034: "券码无效或已被使用",
  1040: "结算中心是空的,请先从购物车去结算",
  1041: "价格有变化,已按最新价格刷新,请确认后再提交",
  1042: "贝里余额不足",
  1043: "所选优惠券已失效,请重新选择",
  1044: "请求冲突,请刷新后再试",
  1045: "支付链接无效或已过期,请从订单重新发起支付",
  1046: "订单正在处理中,请稍候",
  1047: "该支付方式暂不可用,请换一种支付方式,或只用贝里和优惠券支付",
  1048: "支付网关暂时不可用,未扣款,请稍后重试",
  1050: "订单不存在",
  1051: "订单当前状态不能取消",
  1052: "这个订单不能申请退费(仅限现金支付、付款后限定天数内、每单一次)",
  1053: "订单已不能支付(已支付、已取消或已超时)",
};

/** {title, detail} for an API failure: the registry's words first, the server's detail after. */
export function describe(code, serverMessage) {
  const title = MESSAGES[code] || serverMessage || "出错了,请稍后再试";
  const detail = serverMessage && serverMessage !== title ? serverMessage : null;
  return { title, detail };
}
