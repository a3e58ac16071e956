"""WeChat Pay, offline: the keys and certificates the tests make themselves, notifications built
and signed the way WeChat Pay v3 does, and its HTTP answers (signed too, as the SDK checks them).

- signature: RSA-SHA256 (PKCS#1 v1.5) over "timestamp\\nnonce\\nbody\\n", base64, by the
  platform key, named by the platform certificate's serial number (hex);
- resource: AEAD_AES_256_GCM with the merchant's APIv3 key, base64(ciphertext + tag).
"""

import base64
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
APIV3_KEY = "a12d3924fd499edac8a5efc5b2d0c6b1"  # 32 bytes
MERCHANT_SERIAL = "444F4864EA9B34415B1F0EA0A7A4E5E0A1B2C3D4"


@dataclass
class Platform:
    """WeChat Pay's side: the platform key and its certificate."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def serial(self) -> str:
        return format(self.certificate.serial_number, "X")

    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def make_platform() -> Platform:
    key = rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (test)")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return Platform(key=key, certificate=certificate)


def sign(key: rsa.RSAPrivateKey, timestamp: str, nonce: str, body: str) -> str:
    message = f"{timestamp}\n{nonce}\n{body}\n".encode()
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def encrypt(plaintext: str, apiv3_key: str = APIV3_KEY, associated_data: str = "transaction"):
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat sends
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), plaintext.encode(), associated_data.encode()
    )
    return {
        "original_type": "transaction",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def transaction(order_number: str, total_fen: int, **changes) -> dict:
    """The decrypted resource of a successful payment."""
    resource = {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": order_number,
        "transaction_id": f"4200000{secrets.randbelow(10**12):012d}",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": "2026-11-25T12:00:00+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": total_fen, "payer_total": total_fen, "currency": "CNY"},
    }
    resource.update(changes)
    return resource


def notification(
    platform: Platform,
    resource: dict,
    *,
    event_type: str = "TRANSACTION.SUCCESS",
    apiv3_key: str = APIV3_KEY,
    signed_by: rsa.RSAPrivateKey | None = None,
) -> tuple[str, dict]:
    """(body, headers as Django's test client takes them) of a notification WeChat would send."""
    body = json.dumps(
        {
            "id": f"EV-{secrets.token_hex(8)}",
            "create_time": "2026-11-25T12:00:01+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": encrypt(json.dumps(resource, ensure_ascii=False), apiv3_key),
        },
        ensure_ascii=False,
    )
    return body, signed_headers(platform, body, signed_by=signed_by)


def signed_headers(platform: Platform, body: str, signed_by=None) -> dict:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {
        "HTTP_WECHATPAY_TIMESTAMP": timestamp,
        "HTTP_WECHATPAY_NONCE": nonce,
        "HTTP_WECHATPAY_SIGNATURE": sign(signed_by or platform.key, timestamp, nonce, body),
        "HTTP_WECHATPAY_SERIAL": platform.serial,
        "HTTP_WECHATPAY_SIGNATURE_TYPE": "WECHATPAY2-SHA256-RSA2048",
    }


class FakeResponse:
    """What `requests` hands the SDK: WeChat's JSON answer, signed by the platform key."""

    def __init__(self, platform: Platform, status_code: int, payload: dict):
        self.status_code = status_code
        self.text = json.dumps(payload)
        self.content = self.text.encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        self.headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign(platform.key, timestamp, nonce, self.text),
            "Wechatpay-Serial": platform.serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }
