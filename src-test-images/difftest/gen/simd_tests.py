#!/usr/bin/env python3
"""Generates the table-driven AdvSIMD differential programs tests/simd_int.S and tests/simd_fp.S.

Each instruction form becomes a two-instruction function ("insn; ret"). A driver loads v0, v1, v2, v3 and v4 from
a table of 128-bit operand vectors (every ordered pair for v0/v1; v2..v4 from other entries, so accumulating and
inserting forms see varied old destination contents), clears FPSR, calls the function and hashes v2 and FPSR
(common/hash.inc). The program prints one line per form (its assembly text), so a difference names the
instruction. Run: python3 gen/simd_tests.py (from src-test-images/difftest), then ./build.sh and regen-golden.sh.
"""
import random

rnd = random.Random(20250601)

ARR_ALL = ["8b", "16b", "4h", "8h", "2s", "4s", "2d"]
ARR_NO_D = ["8b", "16b", "4h", "8h", "2s", "4s"]
ARR_HS = ["4h", "8h", "2s", "4s"]


def vec_int_table():
    t = [(0, 0), (-1, -1),
         (0x8080808080808080, 0x7f7f7f7f7f7f7f7f),
         (0x7f7f7f7f7f7f7f7f, 0x8080808080808080),
         (0x80007fff8000ffff, 0x7fff800000010000),
         (0x800000007fffffff, 0xffffffff00000001),
         (0x8000000000000000, 0x7fffffffffffffff),
         (0x090a0b0c0d0e0f10, 0x0102030405060708),
         (0x00ff00ff00ff00ff, 0xff00ff00ff00ff00),
         (0xf807f9010cff0801, 0x81c040c03fe020f0),
         (0x0000000100000001, 0xffffffff00000000),
         (0x8000000000000001, 0xfffffffffffffffe)]
    while len(t) < 16:
        t.append((rnd.getrandbits(64), rnd.getrandbits(64)))
    return [(a & (2**64 - 1), b & (2**64 - 1)) for a, b in t]


FP_S = [0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x3f800000, 0xbf800000, 0x3fc00000,
        0x40490fdb, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00001, 0xffc00abc, 0x7f800005,
        0xff800def, 0x3f7fffff, 0x4f000000, 0xcf000001, 0x3eaaaaab, 0x5f800000, 0x38800000, 0x4b000001]
FP_D = [0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x800fffffffffffff,
        0x0010000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x3ff8000000000000,
        0x400921fb54442d18, 0x7fefffffffffffff, 0xffefffffffffffff, 0x7ff0000000000000,
        0xfff0000000000000, 0x7ff8000000000001, 0xfff8000000000abc, 0x7ff0000000000005,
        0xfff0000000000def, 0x3fefffffffffffff, 0x43e0000000000000, 0xc3e0000000000001,
        0x3fd5555555555555, 0x43f0000000000000, 0x3810000000000000, 0x4330000000000001]


def vec_fp_table(n):
    """Vectors mixing special values: the S lanes and D lanes of the same vector both see specials."""
    t = []
    for i in range(n):
        s = [FP_S[(i * 4 + k * 7 + i // 3) % len(FP_S)] for k in range(4)]
        d = [FP_D[(i * 5 + k * 11 + i // 2) % len(FP_D)] for k in range(2)]
        if i % 2 == 0:
            lo = s[0] | (s[1] << 32)
            hi = s[2] | (s[3] << 32)
        else:
            lo, hi = d
        t.append((lo, hi))
    return t


def bits_of(arr):
    return {"b": 8, "h": 16, "s": 32, "d": 64}[arr[-1]]


def count_of(arr):
    return int(arr[:-1])


def half(arr):
    """The narrow arrangement for a wide one (8h -> 8b) and the "2" variant's narrow (8h -> 16b)."""
    return arr


# ---------------------------------------------------------------------------------------------------------------
def int_forms():
    f = []
    same_all = ["sqadd", "uqadd", "sqsub", "uqsub", "cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "sqshl",
                "uqshl", "srshl", "urshl", "sqrshl", "uqrshl", "add", "sub", "cmtst", "cmeq", "addp"]
    same_no_d = ["shadd", "uhadd", "srhadd", "urhadd", "shsub", "uhsub", "smax", "umax", "smin", "umin", "sabd",
                 "uabd", "saba", "uaba", "mla", "mls", "mul", "smaxp", "umaxp", "sminp", "uminp"]
    for op in same_all:
        for a in ARR_ALL:
            f.append(f"{op} v2.{a}, v0.{a}, v1.{a}")
    for op in same_no_d:
        for a in ARR_NO_D:
            f.append(f"{op} v2.{a}, v0.{a}, v1.{a}")
    for op in ["sqdmulh", "sqrdmulh"]:
        for a in ARR_HS:
            f.append(f"{op} v2.{a}, v0.{a}, v1.{a}")
    for a in ["8b", "16b"]:
        f.append(f"pmul v2.{a}, v0.{a}, v1.{a}")
        for op in ["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"]:
            f.append(f"{op} v2.{a}, v0.{a}, v1.{a}")
    # scalar three same
    for op in ["sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl", "sqrshl", "uqrshl"]:
        for r in "bhsd":
            f.append(f"{op} {r}2, {r}0, {r}1")
    for op in ["cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "srshl", "urshl", "add", "sub", "cmtst", "cmeq"]:
        f.append(f"{op} d2, d0, d1")
    for op in ["sqdmulh", "sqrdmulh"]:
        for r in "hs":
            f.append(f"{op} {r}2, {r}0, {r}1")
    # three different
    for wide, narrow, narrow2 in [("8h", "8b", "16b"), ("4s", "4h", "8h"), ("2d", "2s", "4s")]:
        for op in ["saddl", "uaddl", "ssubl", "usubl", "sabal", "uabal", "sabdl", "uabdl", "smlal", "umlal",
                   "smlsl", "umlsl", "smull", "umull"]:
            f.append(f"{op} v2.{wide}, v0.{narrow}, v1.{narrow}")
            f.append(f"{op}2 v2.{wide}, v0.{narrow2}, v1.{narrow2}")
        for op in ["saddw", "uaddw", "ssubw", "usubw"]:
            f.append(f"{op} v2.{wide}, v0.{wide}, v1.{narrow}")
            f.append(f"{op}2 v2.{wide}, v0.{wide}, v1.{narrow2}")
        for op in ["addhn", "raddhn", "subhn", "rsubhn"]:
            f.append(f"{op} v2.{narrow}, v0.{wide}, v1.{wide}")
            f.append(f"{op}2 v2.{narrow2}, v0.{wide}, v1.{wide}")
        if narrow != "8b":
            for op in ["sqdmlal", "sqdmlsl", "sqdmull"]:
                f.append(f"{op} v2.{wide}, v0.{narrow}, v1.{narrow}")
                f.append(f"{op}2 v2.{wide}, v0.{narrow2}, v1.{narrow2}")
    f.append("pmull v2.8h, v0.8b, v1.8b")
    f.append("pmull2 v2.8h, v0.16b, v1.16b")
    f.append("pmull v2.1q, v0.1d, v1.1d")
    f.append("pmull2 v2.1q, v0.2d, v1.2d")
    # cryptographic extension: AES, SHA-1, SHA-256
    for op in ["aese", "aesd"]:
        f.append(f"{op} v2.16b, v0.16b")
    for op in ["aesmc", "aesimc"]:
        f.append(f"{op} v2.16b, v0.16b")
    for op in ["sha1c", "sha1p", "sha1m"]:
        f.append(f"{op} q2, s0, v1.4s")
    f.append("sha1su0 v2.4s, v0.4s, v1.4s")
    f.append("sha256h q2, q0, v1.4s")
    f.append("sha256h2 q2, q0, v1.4s")
    f.append("sha256su1 v2.4s, v0.4s, v1.4s")
    f.append("sha1h s2, s0")
    f.append("sha1su1 v2.4s, v0.4s")
    f.append("sha256su0 v2.4s, v0.4s")
    for op in ["sqdmlal", "sqdmlsl", "sqdmull"]:
        f.append(f"{op} s2, h0, h1")
        f.append(f"{op} d2, s0, s1")
    # two-register misc
    for a in ["8b", "16b", "4h", "8h", "2s", "4s"]:
        f.append(f"rev64 v2.{a}, v0.{a}")
    for a in ["8b", "16b", "4h", "8h"]:
        f.append(f"rev32 v2.{a}, v0.{a}")
    for a in ["8b", "16b"]:
        f.append(f"rev16 v2.{a}, v0.{a}")
        f.append(f"cnt v2.{a}, v0.{a}")
        f.append(f"not v2.{a}, v0.{a}")
        f.append(f"rbit v2.{a}, v0.{a}")
    for src, dst in [("8b", "4h"), ("16b", "8h"), ("4h", "2s"), ("8h", "4s"), ("2s", "1d"), ("4s", "2d")]:
        for op in ["saddlp", "uaddlp", "sadalp", "uadalp"]:
            f.append(f"{op} v2.{dst}, v0.{src}")
    for a in ARR_ALL:
        for op in ["suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg"]:
            f.append(f"{op} v2.{a}, v0.{a}")
        for op in ["cmgt", "cmge", "cmeq", "cmle", "cmlt"]:
            f.append(f"{op} v2.{a}, v0.{a}, #0")
    for a in ARR_NO_D:
        f.append(f"cls v2.{a}, v0.{a}")
        f.append(f"clz v2.{a}, v0.{a}")
    for wide, narrow, narrow2 in [("8h", "8b", "16b"), ("4s", "4h", "8h"), ("2d", "2s", "4s")]:
        for op in ["xtn", "sqxtn", "uqxtn", "sqxtun"]:
            f.append(f"{op} v2.{narrow}, v0.{wide}")
            f.append(f"{op}2 v2.{narrow2}, v0.{wide}")
        sh = bits_of(narrow)
        f.append(f"shll v2.{wide}, v0.{narrow}, #{sh}")
        f.append(f"shll2 v2.{wide}, v0.{narrow2}, #{sh}")
    for a in ["2s", "4s"]:
        f.append(f"urecpe v2.{a}, v0.{a}")
        f.append(f"ursqrte v2.{a}, v0.{a}")
    for r in "bhsd":
        for op in ["suqadd", "usqadd", "sqabs", "sqneg"]:
            f.append(f"{op} {r}2, {r}0")
    for op in ["abs", "neg"]:
        f.append(f"{op} d2, d0")
    for op in ["cmgt", "cmge", "cmeq", "cmle", "cmlt"]:
        f.append(f"{op} d2, d0, #0")
    for n, w in [("b", "h"), ("h", "s"), ("s", "d")]:
        for op in ["sqxtn", "uqxtn", "sqxtun"]:
            f.append(f"{op} {n}2, {w}0")
    # across lanes
    for a in ["8b", "16b", "4h", "8h", "4s"]:
        for op in ["addv", "smaxv", "sminv", "umaxv", "uminv"]:
            r = a[-1]
            f.append(f"{op} {r}2, v0.{a}")
        wr = {"b": "h", "h": "s", "s": "d"}[a[-1]]
        f.append(f"saddlv {wr}2, v0.{a}")
        f.append(f"uaddlv {wr}2, v0.{a}")
    f.append("addp d2, v0.2d")
    # shift by immediate
    for a in ARR_ALL:
        w = bits_of(a)
        for sh in sorted({1, w // 2 + 1, w}):
            for op in ["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"]:
                f.append(f"{op} v2.{a}, v0.{a}, #{sh}")
        for sh in sorted({0, 3, w - 1}):
            for op in ["shl", "sli", "sqshl", "uqshl", "sqshlu"]:
                f.append(f"{op} v2.{a}, v0.{a}, #{sh}")
    for wide, narrow, narrow2 in [("8h", "8b", "16b"), ("4s", "4h", "8h"), ("2d", "2s", "4s")]:
        w = bits_of(narrow)
        for sh in sorted({1, w // 2 + 1, w}):
            for op in ["shrn", "rshrn", "sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"]:
                f.append(f"{op} v2.{narrow}, v0.{wide}, #{sh}")
                f.append(f"{op}2 v2.{narrow2}, v0.{wide}, #{sh}")
        for sh in sorted({0, 1, w - 1}):
            for op in ["sshll", "ushll"]:
                f.append(f"{op} v2.{wide}, v0.{narrow}, #{sh}")
                f.append(f"{op}2 v2.{wide}, v0.{narrow2}, #{sh}")
    for sh in [1, 33, 64]:
        for op in ["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"]:
            f.append(f"{op} d2, d0, #{sh}")
    for sh in [0, 5, 63]:
        for op in ["shl", "sli"]:
            f.append(f"{op} d2, d0, #{sh}")
    for r in "bhsd":
        w = {"b": 8, "h": 16, "s": 32, "d": 64}[r]
        for sh in sorted({0, 3, w - 1}):
            for op in ["sqshl", "uqshl", "sqshlu"]:
                f.append(f"{op} {r}2, {r}0, #{sh}")
    for n, wd in [("b", "h"), ("h", "s"), ("s", "d")]:
        w = {"b": 8, "h": 16, "s": 32}[n]
        for sh in sorted({1, w}):
            for op in ["sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"]:
                f.append(f"{op} {n}2, {wd}0, #{sh}")
    # by element
    for a, r, idxs in [("4h", "h", [0, 7]), ("8h", "h", [3, 5]), ("2s", "s", [0, 3]), ("4s", "s", [1, 2])]:
        for i in idxs:
            for op in ["mul", "mla", "mls", "sqdmulh", "sqrdmulh"]:
                f.append(f"{op} v2.{a}, v0.{a}, v1.{r}[{i}]")
    for wide, narrow, narrow2, r, idxs in [("4s", "4h", "8h", "h", [0, 6]), ("2d", "2s", "4s", "s", [1, 3])]:
        for i in idxs:
            for op in ["smull", "umull", "smlal", "umlal", "smlsl", "umlsl", "sqdmull", "sqdmlal", "sqdmlsl"]:
                f.append(f"{op} v2.{wide}, v0.{narrow}, v1.{r}[{i}]")
                f.append(f"{op}2 v2.{wide}, v0.{narrow2}, v1.{r}[{i}]")
    for op in ["sqdmulh", "sqrdmulh"]:
        f.append(f"{op} h2, h0, v1.h[5]")
        f.append(f"{op} s2, s0, v1.s[2]")
    for op in ["sqdmull", "sqdmlal", "sqdmlsl"]:
        f.append(f"{op} s2, h0, v1.h[7]")
        f.append(f"{op} d2, s0, v1.s[1]")
    # permute, extract, table
    for a in ARR_ALL:
        for op in ["uzp1", "uzp2", "trn1", "trn2", "zip1", "zip2"]:
            f.append(f"{op} v2.{a}, v0.{a}, v1.{a}")
    for i in [0, 3, 7]:
        f.append(f"ext v2.8b, v0.8b, v1.8b, #{i}")
    for i in [0, 1, 8, 15]:
        f.append(f"ext v2.16b, v0.16b, v1.16b, #{i}")
    for a in ["8b", "16b"]:
        f.append(f"tbl v2.{a}, {{v0.16b}}, v1.{a}")
        f.append(f"tbx v2.{a}, {{v0.16b}}, v1.{a}")
        f.append(f"tbl v2.{a}, {{v3.16b, v4.16b}}, v1.{a}")
        f.append(f"tbx v2.{a}, {{v3.16b, v4.16b, v5.16b}}, v0.{a}")
        f.append(f"tbl v2.{a}, {{v31.16b, v0.16b, v1.16b, v2.16b}}, v4.{a}")
    # copy
    for a, r, idxs in [("8b", "b", [0, 13]), ("16b", "b", [2, 15]), ("4h", "h", [1, 6]), ("8h", "h", [7]),
                       ("2s", "s", [0, 3]), ("4s", "s", [2]), ("2d", "d", [0, 1])]:
        for i in idxs:
            f.append(f"dup v2.{a}, v0.{r}[{i}]")
    for a in ARR_ALL:
        reg = "x0" if a == "2d" else "w0"
        f.append(("fmov x0, d1", f"dup v2.{a}, {reg}"))
    for r, i in [("b", 9), ("h", 4), ("s", 3), ("d", 1)]:
        f.append(f"mov {r}2, v0.{r}[{i}]")
        f.append(f"mov v2.{r}[{(i + 1) % 2}], v0.{r}[{i}]")
        reg = "x0" if r == "d" else "w0"
        f.append(("fmov x0, d1", f"mov v2.{r}[{i}], {reg}"))
    for r, i, reg in [("b", 11, "w0"), ("h", 2, "w0"), ("s", 3, "w0"), ("d", 1, "x0")]:
        f.append((f"umov {reg}, v0.{r}[{i}]", "fmov d2, x0"))
    for r, i, reg in [("b", 7, "w0"), ("h", 5, "w0"), ("b", 15, "x0"), ("h", 1, "x0"), ("s", 2, "x0")]:
        f.append((f"smov {reg}, v0.{r}[{i}]", "fmov d2, x0"))
    return f


def modimm_forms():
    f = []
    for a in ["2s", "4s"]:
        for sh in [0, 8, 16, 24]:
            f.append(f"movi v2.{a}, #0xa5, lsl #{sh}")
            f.append(f"mvni v2.{a}, #0x5a, lsl #{sh}")
            f.append(f"orr v2.{a}, #0x81, lsl #{sh}")
            f.append(f"bic v2.{a}, #0x7e, lsl #{sh}")
        for sh in [8, 16]:
            f.append(f"movi v2.{a}, #0x3c, msl #{sh}")
            f.append(f"mvni v2.{a}, #0xc3, msl #{sh}")
        f.append(f"fmov v2.{a}, #-1.25")
    for a in ["4h", "8h"]:
        for sh in [0, 8]:
            f.append(f"movi v2.{a}, #0x96, lsl #{sh}")
            f.append(f"mvni v2.{a}, #0x69, lsl #{sh}")
            f.append(f"orr v2.{a}, #0x11, lsl #{sh}")
            f.append(f"bic v2.{a}, #0xee, lsl #{sh}")
    for a in ["8b", "16b"]:
        f.append(f"movi v2.{a}, #0xd7")
    f.append("movi d2, #0xff00ff0000ffff00")
    f.append("movi v2.2d, #0x00ffff00ff0000ff")
    f.append("fmov v2.2d, #31.0")
    return f


# ---------------------------------------------------------------------------------------------------------------
def fp_forms():
    f = []
    same = ["fmaxnm", "fmla", "fadd", "fmulx", "fcmeq", "fmax", "frecps", "fminnm", "fmls", "fsub", "fmin",
            "frsqrts", "fmaxnmp", "faddp", "fmul", "fcmge", "facge", "fmaxp", "fdiv", "fminnmp", "fabd", "fcmgt",
            "facgt", "fminp"]
    for op in same:
        for a in ["2s", "4s", "2d"]:
            f.append(f"{op} v2.{a}, v0.{a}, v1.{a}")
    for op in ["fmulx", "fcmeq", "frecps", "frsqrts", "fcmge", "facge", "fabd", "fcmgt", "facgt"]:
        for r in "sd":
            f.append(f"{op} {r}2, {r}0, {r}1")
    misc = ["frintn", "frintm", "fcvtns", "fcvtms", "fcvtas", "scvtf", "fabs", "frintp", "frintz", "fcvtps",
            "fcvtzs", "frecpe", "frinta", "frintx", "fcvtnu", "fcvtmu", "fcvtau", "ucvtf", "fneg", "frinti",
            "fcvtpu", "fcvtzu", "frsqrte", "fsqrt"]
    for op in misc:
        for a in ["2s", "4s", "2d"]:
            f.append(f"{op} v2.{a}, v0.{a}")
    for op in ["fcmgt", "fcmge", "fcmeq", "fcmle", "fcmlt"]:
        for a in ["2s", "4s", "2d"]:
            f.append(f"{op} v2.{a}, v0.{a}, #0.0")
        for r in "sd":
            f.append(f"{op} {r}2, {r}0, #0.0")
    for op in ["fcvtns", "fcvtms", "fcvtas", "scvtf", "fcvtps", "fcvtzs", "frecpe", "frecpx", "fcvtnu",
               "fcvtmu", "fcvtau", "ucvtf", "fcvtpu", "fcvtzu", "frsqrte"]:
        for r in "sd":
            f.append(f"{op} {r}2, {r}0")
    f.append("fcvtn v2.4h, v0.4s")
    f.append("fcvtn2 v2.8h, v0.4s")
    f.append("fcvtn v2.2s, v0.2d")
    f.append("fcvtn2 v2.4s, v0.2d")
    f.append("fcvtxn v2.2s, v0.2d")
    f.append("fcvtxn2 v2.4s, v0.2d")
    f.append("fcvtxn s2, d0")
    f.append("fcvtl v2.4s, v0.4h")
    f.append("fcvtl2 v2.4s, v0.8h")
    f.append("fcvtl v2.2d, v0.2s")
    f.append("fcvtl2 v2.2d, v0.4s")
    for op in ["fmaxnmv", "fmaxv", "fminnmv", "fminv"]:
        f.append(f"{op} s2, v0.4s")
    for op in ["fmaxnmp", "faddp", "fmaxp", "fminnmp", "fminp"]:
        f.append(f"{op} s2, v0.2s")
        f.append(f"{op} d2, v0.2d")
    for op in ["fmla", "fmls", "fmul", "fmulx"]:
        for a, r, i in [("2s", "s", 1), ("4s", "s", 3), ("4s", "s", 0), ("2d", "d", 1)]:
            f.append(f"{op} v2.{a}, v0.{a}, v1.{r}[{i}]")
        f.append(f"{op} s2, s0, v1.s[2]")
        f.append(f"{op} d2, d0, v1.d[0]")
    for op in ["scvtf", "ucvtf", "fcvtzs", "fcvtzu"]:
        for a, fb in [("2s", 1), ("4s", 16), ("4s", 32), ("2d", 1), ("2d", 40), ("2d", 64)]:
            f.append(f"{op} v2.{a}, v0.{a}, #{fb}")
        f.append(f"{op} s2, s0, #7")
        f.append(f"{op} d2, d0, #63")
    return f


# ---------------------------------------------------------------------------------------------------------------
HEADER = """/*
 * GENERATED by gen/simd_tests.py -- do not edit; change the generator and rerun it.
 * {title}
 * Every form runs over every ordered pair of a table of {nvec} operand vectors (v0, v1; v2-v5 preloaded from other
 * entries) and prints a hash of v2 and FPSR per form{modes} (see common/hash.inc).
 */
        .arch   armv8-a+crypto
        .include "macros.inc"
        .include "hash.inc"

        .equ    NVEC, {nvec}

        .text
        .global test_main
test_main:
        stp     x29, x30, [sp, #-16]!
        HASH_INIT
"""

DRIVER = """
/* run_form(x0 = name, x1 = function): runs the function over all pairs of vectors and prints the hash. */
run_form:
        stp     x29, x30, [sp, #-16]!
        stp     x19, x20, [sp, #-16]!
        stp     x21, x22, [sp, #-16]!
        mov     x20, x1
        bl      begin_op
        ldr     x19, =vectors
        mov     x21, #0
1:      mov     x22, #0
2:      add     x9, x19, x21, lsl #4
        ldr     q0, [x9]
        add     x9, x19, x22, lsl #4
        ldr     q1, [x9]
        add     x10, x21, x22, lsl #1
        add     x10, x10, #5
        and     x10, x10, #(NVEC - 1)
        add     x9, x19, x10, lsl #4
        ldr     q2, [x9]
        add     x10, x10, #3
        and     x10, x10, #(NVEC - 1)
        add     x9, x19, x10, lsl #4
        ldr     q3, [x9]
        add     x10, x10, #7
        and     x10, x10, #(NVEC - 1)
        add     x9, x19, x10, lsl #4
        ldr     q4, [x9]
        add     x10, x10, #1
        and     x10, x10, #(NVEC - 1)
        add     x9, x19, x10, lsl #4
        ldr     q5, [x9]
        ldr     q31, [x19, #112]
        msr     fpsr, xzr
        blr     x20
        HASHQ   2
        add     x22, x22, #1
        cmp     x22, #NVEC
        b.lt    2b
        add     x21, x21, #1
        cmp     x21, #NVEC
        b.lt    1b
        bl      end_op
        ldp     x21, x22, [sp], #16
        ldp     x19, x20, [sp], #16
        ldp     x29, x30, [sp], #16
        ret

        HASH_ROUTINES
"""


def emit(path, title, forms, vectors, modes):
    out = [HEADER.format(title=title, nvec=len(vectors),
                         modes=" and FPCR setting" if len(modes) > 1 else "")]
    if len(modes) > 1:
        out.append("        mov     x26, #0\nmode_loop:\n        adr     x0, fpcr_values\n"
                   "        ldr     x0, [x0, x26, lsl #3]\n        msr     fpcr, x0\n")
    for i, _ in enumerate(forms):
        out.append(f"        adr     x0, name_{i}\n        adr     x1, form_{i}\n        bl      run_form\n")
    if len(modes) > 1:
        out.append(f"        add     x26, x26, #1\n        cmp     x26, #{len(modes)}\n        b.lt    mode_loop\n"
                   "        msr     fpcr, xzr\n")
    out.append("        msr     fpsr, xzr\n        ldp     x29, x30, [sp], #16\n        ret\n")
    out.append(DRIVER)
    out.append("\n/* The forms under test. */\n        .balign 4\n")
    for i, form in enumerate(forms):
        insns = form if isinstance(form, tuple) else (form,)
        body = "".join(f"        {x}\n" for x in insns)
        out.append(f"form_{i}:\n{body}        ret\n")
    out.append("\n        .section .rodata\n        .balign 16\nvectors:\n")
    for lo, hi in vectors:
        out.append(f"        .quad   0x{lo:016x}, 0x{hi:016x}\n")
    if len(modes) > 1:
        out.append("fpcr_values:\n" + "".join(f"        .quad   0x{m:08x}\n" for m in modes))
    for i, form in enumerate(forms):
        insns = form if isinstance(form, tuple) else (form,)
        name = "; ".join(insns)
        out.append(f"name_{i}: .asciz \"{name}\"\n")
    with open(path, "w") as fh:
        fh.write("".join(out))


if __name__ == "__main__":
    emit("tests/simd_int.S", "Advanced SIMD integer, permute, table, copy and modified-immediate instructions.",
         int_forms() + modimm_forms(), vec_int_table(), [0])
    emit("tests/simd_fp.S", "Advanced SIMD floating-point instructions, vector and scalar, under several FPCR settings.",
         fp_forms(), vec_fp_table(16), [0x0000000, 0x1c00000, 0x2000000, 0x0400000, 0x0800000])
