"""Payment gateways (Alipay, WeChat Pay, the development gateway) behind one interface."""
