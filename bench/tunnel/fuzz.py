#!/usr/bin/env python3
"""Fuzz storm at a WireGuard listen port (issue 15): N datagrams of many kinds, most of them
nearly valid, from a sender that is itself a configured peer of the target.

    fuzz.py TARGET_ADDR PORT TARGET_PUBKEY FUZZER_PRIVKEY COUNT [SEED]

First a real Noise_IKpsk2 handshake as that peer (so the storm has a live session: a receiver
index and keys), then COUNT datagrams round-robin over the kinds below, then one JSON line with
what was sent by kind and how many should have been accepted. Kinds and what the target should
count them as (under the handshake load the storm makes, initiations with a valid mac1 get a
cookie reply and count as cookie_required instead):
  random            random octets, 0-199 long                      malformed / unknown_index / ...
  truncated         a valid initiation or transport message cut     malformed / decrypt_failed
  mutated_init      a valid initiation, one octet flipped, mac1 recomputed    decrypt_failed / ...
  bad_mac1          a valid initiation, mac1 wrong                 bad_mac1
  unknown_key       an initiation from a key the target does not know, valid mac1   unknown_peer
  replayed_init     the first initiation again                     handshake_replay
  mutated_transport a valid transport message, one octet flipped   decrypt_failed / unknown_index
  replayed_transport a transport message sent before               replay
  unknown_index     a transport message with an index not issued   unknown_index
  cookie_reply      a cookie reply for the live index, random body bad_cookie
  valid_transport   a new keepalive on the live session            accepted (received_packets)
Needs python3-cryptography (X25519, ChaCha20-Poly1305); BLAKE2s is hashlib's.
"""
import base64, hashlib, hmac, json, os, random, socket, struct, sys, time
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"


def blake(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def hmac_b(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()


def kdf(key, data, n):
    t0 = hmac_b(key, data)
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac_b(t0, prev + bytes([i]))
        out.append(prev)
    return out


def aead(key, counter, plain, ad):
    return ChaCha20Poly1305(key).encrypt(b"\0" * 4 + struct.pack("<Q", counter), plain, ad)


def unaead(key, counter, data, ad):
    return ChaCha20Poly1305(key).decrypt(b"\0" * 4 + struct.pack("<Q", counter), data, ad)


def raw(pub):
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def mac(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()


def tai64n():
    now = time.time()
    return struct.pack(">QI", 0x400000000000000A + int(now), int((now % 1) * 1e9))


class Initiator:
    def __init__(self, static, responder_pub, sender):
        self.static, self.rpub, self.sender = static, responder_pub, sender
        c = blake(CONSTRUCTION)
        h = blake(blake(c, IDENTIFIER), responder_pub)
        self.e = X25519PrivateKey.generate()
        epub = raw(self.e.public_key())
        c = kdf(c, epub, 1)[0]
        h = blake(h, epub)
        c, k = kdf(c, self.e.exchange(X25519PublicKey.from_public_bytes(responder_pub)), 2)
        enc_static = aead(k, 0, raw(static.public_key()), h)
        h = blake(h, enc_static)
        c, k = kdf(c, static.exchange(X25519PublicKey.from_public_bytes(responder_pub)), 2)
        enc_time = aead(k, 0, tai64n(), h)
        h = blake(h, enc_time)
        self.c, self.h = c, h
        body = struct.pack("<I", 1) + struct.pack("<I", sender) + epub + enc_static + enc_time
        self.message = body + mac(blake(LABEL_MAC1, responder_pub), body) + b"\0" * 16

    def consume(self, response):
        sender, receiver = struct.unpack_from("<II", response, 4)
        epub_r, empty = response[12:44], response[44:60]
        c = kdf(self.c, epub_r, 1)[0]
        h = blake(self.h, epub_r)
        c = kdf(c, self.e.exchange(X25519PublicKey.from_public_bytes(epub_r)), 1)[0]
        c = kdf(c, self.static.exchange(X25519PublicKey.from_public_bytes(epub_r)), 1)[0]
        c, t, k = kdf(c, b"\0" * 32, 3)
        h = blake(h, t)
        unaead(k, 0, empty, h)
        send, recv = kdf(c, b"", 2)
        return sender, send


def with_mac1(body, responder_pub):
    return body[:116] + mac(blake(LABEL_MAC1, responder_pub), body[:116]) + b"\0" * 16


def main():
    target, port, target_pub, private, count = sys.argv[1], int(sys.argv[2]), base64.b64decode(sys.argv[3]), base64.b64decode(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 15)
    static = X25519PrivateKey.from_private_bytes(private)
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    s.connect((target, port))

    # The live session: handshake (retried: the first may meet the target starting), then one keepalive so it confirms.
    s.settimeout(1.0)
    for _ in range(10):
        ini = Initiator(static, target_pub, rnd.getrandbits(32))
        s.send(ini.message)
        try:
            response = s.recv(2048)
        except socket.timeout:
            continue
        if response[0] == 2:
            break
    else:
        print(json.dumps({"error": "no handshake response"}))
        return 1
    remote_index, send_key = ini.consume(response)
    first_init = ini.message
    counter = 0

    def transport(n):
        return struct.pack("<II", 4, remote_index) + struct.pack("<Q", n) + aead(send_key, n, b"", b"")

    s.send(transport(counter)); counter += 1
    accepted_before = 2  # the initiation and the first keepalive

    unknown = X25519PrivateKey.generate()
    sent_transports = [transport(counter - 1)]
    kinds = ["random", "truncated", "mutated_init", "bad_mac1", "unknown_key", "replayed_init",
             "mutated_transport", "replayed_transport", "unknown_index", "cookie_reply", "valid_transport"]
    sent = {k: 0 for k in kinds}
    # Templates reused so the storm is not limited by X25519 in Python: a few initiations of each key.
    inits = [Initiator(static, target_pub, rnd.getrandbits(32)).message for _ in range(8)]
    unknown_inits = [Initiator(unknown, target_pub, rnd.getrandbits(32)).message for _ in range(8)]
    errors = 0
    s.setblocking(True)
    for i in range(count):
        kind = kinds[i % len(kinds)]
        if kind == "random":
            d = rnd.randbytes(rnd.randrange(0, 200))
        elif kind == "truncated":
            src = rnd.choice(inits) if rnd.random() < 0.5 else sent_transports[-1]
            d = src[:rnd.randrange(0, len(src))]
        elif kind == "mutated_init":
            b = bytearray(rnd.choice(inits)); j = rnd.randrange(8, 116); b[j] ^= 1 << rnd.randrange(8)
            d = with_mac1(bytes(b), target_pub)
        elif kind == "bad_mac1":
            b = bytearray(rnd.choice(inits)); b[116 + rnd.randrange(16)] ^= 1
            d = bytes(b)
        elif kind == "unknown_key":
            d = rnd.choice(unknown_inits)
        elif kind == "replayed_init":
            d = first_init
        elif kind == "mutated_transport":
            b = bytearray(transport(counter)); counter += 1; j = rnd.randrange(4, len(b)); b[j] ^= 1 << rnd.randrange(8)
            d = bytes(b)
        elif kind == "replayed_transport":
            d = rnd.choice(sent_transports)
        elif kind == "unknown_index":
            d = struct.pack("<II", 4, rnd.getrandbits(32) ^ remote_index or 1) + struct.pack("<Q", rnd.getrandbits(32)) + rnd.randbytes(rnd.randrange(16, 64))
        elif kind == "cookie_reply":
            d = struct.pack("<II", 3, remote_index) + rnd.randbytes(56)
        else:
            d = transport(counter); counter += 1
            if len(sent_transports) < 64:
                sent_transports.append(d)
        try:
            s.send(d)
            sent[kind] += 1
        except OSError:
            errors += 1

    total = sum(sent.values())
    print(json.dumps({"sent": total + accepted_before, "storm": total, "by_kind": sent, "send_errors": errors,
                      "expected_accepted_at_least": accepted_before, "valid_transport": sent["valid_transport"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
