#!/usr/bin/env python3
"""Random AES-256-GCM vectors for tests/unit/test_aes_gcm.c, from python3-cryptography
(Debian python3-cryptography, OpenSSL underneath): an implementation independent of
snp/aes_gcm.c. Deterministic (seeded); prints the C table to paste."""
import random
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

rng = random.Random(56860)
cases = [(0, 0), (0, 16), (1, 0), (15, 48), (16, 48), (17, 48), (31, 7), (48, 48),
         (64, 48), (96, 48), (100, 13), (255, 48), (1216, 48)]
print("static const struct gcm_vec rand_vecs[] = {")
for plen, alen in cases:
    key = bytes(rng.getrandbits(8) for _ in range(32))
    iv = bytes(rng.getrandbits(8) for _ in range(12))
    aad = bytes(rng.getrandbits(8) for _ in range(alen))
    pt = bytes(rng.getrandbits(8) for _ in range(plen))
    ct = AESGCM(key).encrypt(iv, pt, aad)
    c, tag = ct[:-16], ct[-16:]
    # every field as hex: the test decodes them
    print(f'    {{"{key.hex()}", "{iv.hex()}", "{aad.hex()}", "{pt.hex()}",\n'
          f'     "{c.hex()}", "{tag.hex()}"}},')
print("};")
