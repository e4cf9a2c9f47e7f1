package dev.cca.rmm.rsi;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Smccc;
import dev.cca.rmm.RmmMemory;
import dev.cca.rmm.attest.Cose;
import dev.cca.rmm.attest.P384;
import dev.cca.rmm.attest.RealmToken;
import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecExit;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.RmmEl3;
import dev.cca.rmm.smc.Rsi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPrivateKey;

/**
 * Realm attestation (RMM spec A7.2, B5.3.2-3; TF-RMM runtime/rsi/realm_attest.c, lib/attestation): at cold boot
 * the RMM fetches the Realm Attestation Key and the platform token from EL3; RSI_ATTESTATION_TOKEN_INIT builds a
 * REC's realm claims, RSI_ATTESTATION_TOKEN_CONTINUE signs them and hands the CCA token out in pieces.
 *
 * <p>A REC's token state lives in its auxiliary granules, as in TF-RMM: aux[0] holds the context, aux[1] the
 * realm claims and then the signed realm token, aux[2] the CCA token being copied out.
 */
public final class Attestation {
    /** Upper bound of a CCA token, returned by TOKEN_INIT (TF-RMM REC_ATTEST_TOKEN_BUF_SIZE, one granule). */
    public static final int TOKEN_BUFFER = 4096;
    private static final int STATE_NOT_STARTED = 0, STATE_SIGN = 1, STATE_CREATE = 2;
    // Offsets in aux[0]
    private static final int CTX_STATE = 0x00, CTX_PAYLOAD_LEN = 0x08, CTX_REALM_TOKEN_LEN = 0x10,
            CTX_CCA_REMAINING = 0x18, CTX_CCA_COPIED = 0x20;

    private ECPrivateKey rak;
    private byte[] rakCoseKey;
    private byte[] platformToken;

    public boolean ready() {
        return rak != null && platformToken != null;
    }

    /**
     * Cold boot (TF-RMM attest_init_realm_attestation_key, attest_setup_platform_token): the RAK's raw private key
     * arrives in the EL3-RMM shared buffer, is imported and scrubbed from the buffer; the platform token is asked
     * for with the SHA-256 of the RAK's COSE_Key as its challenge, in hunks. Returns 0 or a negative status.
     */
    public long init(Cpu cpu, RmmMemory mem, long sharedBuf) {
        long[] r = Smccc.call(cpu, RmmEl3.GET_REALM_ATTEST_KEY, sharedBuf, TOKEN_BUFFER,
                RmmEl3.ATTEST_KEY_CURVE_ECC_SECP384R1);
        if (r[0] != RmmEl3.E_RMM_OK || r[1] != P384.SCALAR_BYTES) {
            return -1;
        }
        byte[] raw = mem.read(sharedBuf, P384.SCALAR_BYTES);
        mem.write(sharedBuf, new byte[P384.SCALAR_BYTES]);
        rak = P384.privateKey(raw);
        rakCoseKey = Cose.coseKey(P384.publicKey(rak));
        byte[] hash = sha256(rakCoseKey);
        mem.write(sharedBuf, hash);
        ByteBuffer token = ByteBuffer.allocate(TOKEN_BUFFER);
        long hashLength = hash.length;
        while (true) {
            r = Smccc.call(cpu, RmmEl3.GET_PLAT_TOKEN, sharedBuf, TOKEN_BUFFER, hashLength);
            if (r[0] == RmmEl3.E_RMM_AGAIN) {
                continue;
            }
            if (r[0] != RmmEl3.E_RMM_OK || r[1] == 0 || r[1] + r[2] > token.remaining()) {
                return -1;
            }
            token.put(mem.read(sharedBuf, (int) r[1]));
            hashLength = 0;
            if (r[2] == 0) {
                break;
            }
        }
        platformToken = java.util.Arrays.copyOf(token.array(), token.position());
        return 0;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RSI_ATTESTATION_TOKEN_INIT: X1..X8 = challenge. Aborts any token in progress; X1 = the size bound. */
    void tokenInit(Cpu cpu, RmmMemory mem, Rec rec, RealmDescriptor d, RsiResult r) {
        if (!ready()) {
            r.fail(Rsi.ERROR_UNKNOWN, "attestation_key", "the RMM has no realm attestation key: EL3 gave none at boot");
            return;
        }
        ByteBuffer ch = ByteBuffer.allocate(RealmToken.CHALLENGE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i <= 8; i++) {
            ch.putLong(cpu.x[i]);
        }
        int algo = d.hashAlgo();
        byte[][] m = new byte[RealmDescriptor.MEASUREMENT_SLOTS][];
        for (int i = 0; i < m.length; i++) {
            m[i] = d.measurement(i);
        }
        byte[] claims = RealmToken.claims(ch.array(), d.rpv(), rakCoseKey, algo, m, Measurement.hashLength(algo));
        long ctx = rec.aux(0);
        mem.write(rec.aux(1), claims);
        mem.write64(ctx + CTX_PAYLOAD_LEN, claims.length);
        mem.write64(ctx + CTX_REALM_TOKEN_LEN, 0);
        mem.write64(ctx + CTX_CCA_REMAINING, 0);
        mem.write64(ctx + CTX_CCA_COPIED, 0);
        mem.write64(ctx + CTX_STATE, STATE_SIGN);
        r.x[0] = Rsi.SUCCESS;
        r.x[1] = TOKEN_BUFFER;
    }

    /**
     * RSI_ATTESTATION_TOKEN_CONTINUE: X1 = buffer IPA (granule aligned), X2 = offset in it, X3 = size. The first
     * call after INIT signs the realm token (and exits to the host with RMI_EXIT_IRQ if an interrupt is pending);
     * each call then copies the next piece of the CCA token. X1 = bytes copied; X0 = RSI_INCOMPLETE until the
     * last piece, then RSI_SUCCESS.
     */
    void tokenContinue(Cpu cpu, RmmMemory mem, Rec rec, RealmDescriptor d, RsiResult r,
                       RecExit e) {
        long ipa = cpu.x[1];
        long offset = cpu.x[2];
        long size = cpu.x[3];
        // addr_align, offset_bound, size_overflow, size_bound
        if ((ipa & 0xFFF) != 0) {
            r.input("addr_align", "addr %#x is not aligned to 4 KB", ipa);
            return;
        }
        if (Long.compareUnsigned(offset, 4096) >= 0) {
            r.input("offset_bound", "offset %d is not below 4096", offset);
            return;
        }
        if (Long.compareUnsigned(offset + size, offset) < 0) {
            r.input("size_overflow", "offset %d + size %d overflows", offset, size);
            return;
        }
        if (Long.compareUnsigned(offset + size, 4096) > 0) {
            r.input("size_bound", "offset %d + size %d is beyond the 4096-byte granule", offset, size);
            return;
        }
        // addr_bound
        if (!d.inPar(ipa)) {
            r.input("addr_bound", "addr %#x is not in the protected range [0, %#x)", ipa, 1L << (d.s2sz() - 1));
            return;
        }
        long ctx = rec.aux(0);
        if (mem.read64(ctx + CTX_REALM_TOKEN_LEN) == 0) {
            if (mem.read64(ctx + CTX_STATE) != STATE_SIGN) {
                r.fail(Rsi.ERROR_STATE, "token_state", "no RSI_ATTESTATION_TOKEN_INIT since the last token");
                return;
            }
            byte[] claims = mem.read(rec.aux(1), (int) mem.read64(ctx + CTX_PAYLOAD_LEN));
            byte[] realmToken = Cose.sign1(claims, rak);
            mem.write(rec.aux(1), realmToken);
            mem.write64(ctx + CTX_REALM_TOKEN_LEN, realmToken.length);
            mem.write64(ctx + CTX_STATE, STATE_CREATE);
            r.x[0] = Rsi.INCOMPLETE;
            // TF-RMM checks ISR_EL1 after each signing step: a pending interrupt goes to the host first.
            if (cpu.irqPending()) {
                r.action = RsiResult.Action.EXIT_UPDATED;
                e.reason = Rmi.EXIT_IRQ;
                return;
            }
        }
        RsiHandler.IpaWalk w = RsiHandler.realmBuffer(mem, d, ipa, r);
        if (w == null) {
            return;
        }
        if (size == 0) {
            r.x[0] = Rsi.INCOMPLETE;
            return;
        }
        long copied = mem.read64(ctx + CTX_CCA_COPIED);
        long remaining;
        if (copied == 0) {
            if (mem.read64(ctx + CTX_STATE) != STATE_CREATE) {
                r.input("token_state", "the token was handed out already; RSI_ATTESTATION_TOKEN_INIT starts another");
                return;
            }
            byte[] realmToken = mem.read(rec.aux(1), (int) mem.read64(ctx + CTX_REALM_TOKEN_LEN));
            byte[] cca = RealmToken.ccaToken(platformToken, realmToken);
            if (cca.length > TOKEN_BUFFER) {
                // TF-RMM: the CCA token does not fit its buffer
                r.input("token_size", "the CCA token (%d bytes) does not fit its %d-byte buffer", cca.length,
                        TOKEN_BUFFER);
                return;
            }
            mem.write(rec.aux(2), cca);
            remaining = cca.length;
            mem.write64(ctx + CTX_STATE, STATE_NOT_STARTED);
        } else {
            remaining = mem.read64(ctx + CTX_CCA_REMAINING);
        }
        int length = (int) Math.min(size, remaining);
        mem.write(w.pa + offset, mem.read(rec.aux(2) + copied, length));
        remaining -= length;
        if (remaining != 0) {
            mem.write64(ctx + CTX_CCA_REMAINING, remaining);
            mem.write64(ctx + CTX_CCA_COPIED, copied + length);
            r.x[0] = Rsi.INCOMPLETE;
        } else {
            mem.write64(ctx + CTX_CCA_REMAINING, 0);
            mem.write64(ctx + CTX_REALM_TOKEN_LEN, 0);
            r.x[0] = Rsi.SUCCESS;
        }
        r.x[1] = length;
    }
}
