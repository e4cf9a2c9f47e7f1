package dev.cca.rmm;

import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.SmcDecoder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.cca.rmm.World.IPA;
import static dev.cca.rmm.World.IPA_FREE;
import static dev.cca.rmm.World.IPA_NO_TABLE;
import static dev.cca.rmm.World.NS_IPA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What the RMM says when a command fails: the failure condition's label and what it found, walked through the
 * conditions of a few commands in the spec's order (each stimulus violates one condition, the earlier ones hold),
 * as the observers (trace, debuggers) receive it and as {@link SmcDecoder#formatReturn} prints it.
 */
class FailureExplanationsTest {
    private final World w = new World();
    private final List<Failure> failures = new ArrayList<>();

    FailureExplanationsTest() {
        w.h.fw.rmm.addObserver(new RmmObserver() {
            @Override
            public void rmiReturn(dev.cca.core.cpu.Cpu cpu, long fid, long[] args, long[] out, Failure f) {
                failures.add(f);
            }
        });
    }

    /** Calls the command and returns the message of the failure it reported. */
    private String why(long fid, long... args) {
        failures.clear();
        long[] out = w.h.rmi(fid, args);
        assertEquals(1, failures.size());
        Failure f = failures.get(0);
        assertEquals(out[0], f.status());
        return f.message();
    }

    @Test
    void dataCreateExplainsEachConditionInOrder() {
        long data = w.h.delegated();
        long src = w.h.alloc();
        long rd = w.a.rd;
        assertEquals("flags_valid: flags 0x2 is neither NO_MEASURE_CONTENT (0) nor MEASURE_CONTENT (1)",
                why(Rmi.DATA_CREATE, rd, data, IPA_FREE, src, 2));
        assertEquals("src_align: src 0x" + Long.toHexString(src + 8) + " is not aligned to 4 KB",
                why(Rmi.DATA_CREATE, rd, data, IPA_FREE, src + 8, 1));
        assertEquals("src_bound: src 0x9000000 is outside the delegable memory [0x80000000, 0x84000000)",
                why(Rmi.DATA_CREATE, rd, data, IPA_FREE, World.DEV_MEM, 1));
        assertEquals("src_pas: granule 0x" + Long.toHexString(w.delegated) + " is DELEGATED (Realm PAS), expected"
                + " UNDELEGATED", why(Rmi.DATA_CREATE, rd, data, IPA_FREE, w.delegated, 1));
        assertEquals("data_state: granule 0x" + Long.toHexString(w.undelegated) + " is UNDELEGATED, expected"
                + " DELEGATED", why(Rmi.DATA_CREATE, rd, w.undelegated, IPA_FREE, src, 1));
        assertEquals("rd_state: granule 0x" + Long.toHexString(w.rttA) + " is RTT, expected RD",
                why(Rmi.DATA_CREATE, w.rttA, data, IPA_FREE, src, 1));
        assertEquals("realm_state: realm 0x" + Long.toHexString(w.b.rd) + " is ACTIVE, expected NEW",
                why(Rmi.DATA_CREATE, w.b.rd, data, IPA_FREE, src, 1));
        assertEquals("ipa_bound: ipa 0x109000000 is not in the protected range [0, 0x100000000)",
                why(Rmi.DATA_CREATE, rd, data, NS_IPA, src, 1));
        assertEquals("ipa_align: ipa 0x40001008 is not aligned to a level-3 entry (4 KB)",
                why(Rmi.DATA_CREATE, rd, data, IPA_FREE + 8, src, 1));
        assertEquals("rtt_walk: the walk for ipa 0x40200000 stopped at level 2 (UNASSIGNED_EMPTY), above level 3",
                why(Rmi.DATA_CREATE, rd, data, IPA_NO_TABLE, src, 1));
        assertEquals("rtte_state: the level-3 entry for ipa 0x40000000 is ASSIGNED_RAM, expected UNASSIGNED",
                why(Rmi.DATA_CREATE, rd, data, IPA, src, 1));
        assertEquals("src_pas: copying src 0x" + Long.toHexString(w.secure) + " faulted: the GPT does not give it"
                + " to the Non-secure PAS", why(Rmi.DATA_CREATE, rd, data, IPA_FREE, w.secure, 1));
    }

    @Test
    void rttCreateExplainsEachConditionInOrder() {
        long rtt = w.h.delegated();
        long rd = w.a.rd;
        assertEquals("rtt_state: granule 0x" + Long.toHexString(w.dataA) + " is DATA, expected DELEGATED",
                why(Rmi.RTT_CREATE, rd, w.dataA, IPA_NO_TABLE, 3));
        assertEquals("rd_align: rd 0x" + Long.toHexString(rd + 8) + " is not aligned to 4 KB",
                why(Rmi.RTT_CREATE, rd + 8, rtt, IPA_NO_TABLE, 3));
        assertEquals("level_bound: level 4 is outside [3, 3]", why(Rmi.RTT_CREATE, rd, rtt, IPA_NO_TABLE, 4));
        assertEquals("ipa_bound: ipa 0x200000000 is outside the realm's IPA space of 33 bits",
                why(Rmi.RTT_CREATE, rd, rtt, World.OOB_IPA, 3));
        assertEquals("ipa_align: ipa 0x40201000 is not aligned to a level-2 entry (2 MB)",
                why(Rmi.RTT_CREATE, rd, rtt, IPA_NO_TABLE + 0x1000, 3));
        assertEquals("rtte_state: the level-2 entry for ipa 0x40000000 is already a TABLE (RTT 0x"
                + Long.toHexString(w.rttA) + ")", why(Rmi.RTT_CREATE, rd, rtt, IPA, 3));
        TestHost.Realm r = w.h.new Realm(40, Rmi.HASH_SHA_256, 7);
        assertEquals(Rmi.SUCCESS, r.create());
        assertEquals("rtt_walk: the walk for ipa 0x40000000 stopped at level 1 (UNASSIGNED_EMPTY), above level 2",
                why(Rmi.RTT_CREATE, r.rd, rtt, IPA, 3));
    }

    @Test
    void recCreateExplainsEachConditionInOrder() {
        long rec = w.h.delegated();
        long rd = w.a.rd;
        assertEquals("params_pas: granule 0x" + Long.toHexString(w.delegated) + " is DELEGATED (Realm PAS),"
                + " expected UNDELEGATED", why(Rmi.REC_CREATE, rd, rec, w.delegated));
        long p = w.recParams(2);
        w.h.write64(p + RecParams.NUM_AUX, 17);
        assertEquals("num_aux: params.num_aux 17 is more than 16", why(Rmi.REC_CREATE, rd, rec, p));
        p = w.recParams(2);
        long aux0 = w.h.read64(p + RecParams.AUX);
        w.h.write64(p + RecParams.AUX + 8 * 7, aux0);
        assertEquals("aux_alias: params.aux[7] 0x" + Long.toHexString(aux0) + " is also params.aux[0]",
                why(Rmi.REC_CREATE, rd, rec, p));
        assertEquals(GranuleState.DELEGATED, w.h.inspector().granuleState(aux0), "the claimed aux are rolled back");
        p = w.recParams(2);
        w.h.write64(p + RecParams.AUX + 8 * 15, w.a.rd);
        assertEquals("aux_state: granule 0x" + Long.toHexString(w.a.rd) + " (params.aux[15]) is RD, expected"
                + " DELEGATED", why(Rmi.REC_CREATE, rd, rec, p));
        assertEquals("rec_state: granule 0x" + Long.toHexString(w.a0) + " is REC, expected DELEGATED",
                why(Rmi.REC_CREATE, rd, w.a0, w.recParams(2)));
        assertEquals("realm_state: realm 0x" + Long.toHexString(w.c.rd) + " is SYSTEM_OFF, expected NEW",
                why(Rmi.REC_CREATE, w.c.rd, rec, w.recParams(1)));
        assertEquals("mpidr_index: params.mpidr 0x3 is REC index 3, expected 2 (the next index)",
                why(Rmi.REC_CREATE, rd, rec, w.recParams(3)));
        p = w.recParams(2);
        w.h.write64(p + RecParams.NUM_AUX, 15);
        assertEquals("num_aux: params.num_aux 15, expected 16 (RMI_REC_AUX_COUNT)", why(Rmi.REC_CREATE, rd, rec, p));
    }

    @Test
    void realmActivateExplainsEachCondition() {
        assertEquals("rd_bound: rd 0x1000000000000 is outside the delegable memory [0x80000000, 0x84000000)",
                why(Rmi.REALM_ACTIVATE, World.OUTSIDE_PA));
        assertEquals("rd_state: granule 0x" + Long.toHexString(w.a0) + " is REC, expected RD",
                why(Rmi.REALM_ACTIVATE, w.a0));
        assertEquals("realm_state: realm 0x" + Long.toHexString(w.b.rd) + " is ACTIVE, expected NEW",
                why(Rmi.REALM_ACTIVATE, w.b.rd));
    }

    @Test
    void theDecoderPrintsTheConditionAfterTheStatus() {
        long data = w.h.delegated();
        failures.clear();
        long[] out = w.h.rmi(Rmi.DATA_CREATE, w.a.rd, w.undelegated, IPA_FREE, w.h.alloc(), 1);
        assertEquals("RMI_DATA_CREATE -> RMI_ERROR_INPUT: data_state: granule 0x" + Long.toHexString(w.undelegated)
                + " is UNDELEGATED, expected DELEGATED", SmcDecoder.formatReturn(Rmi.DATA_CREATE, out, failures.get(0)));
        failures.clear();
        out = w.h.rmi(Rmi.DATA_CREATE, w.a.rd, data, IPA_NO_TABLE, w.h.alloc(), 1);
        assertEquals("RMI_DATA_CREATE -> RMI_ERROR_RTT(2): rtt_walk: the walk for ipa 0x40200000 stopped at level 2"
                + " (UNASSIGNED_EMPTY), above level 3", SmcDecoder.formatReturn(Rmi.DATA_CREATE, out,
                failures.get(0)));
        failures.clear();
        out = w.h.rmi(Rmi.VERSION, 0x20000);
        assertEquals("RMI_VERSION -> RMI_ERROR_INPUT lower=1.0 higher=1.0: version: version 2.0 is not supported:"
                + " this RMM implements RMI 1.0 only", SmcDecoder.formatReturn(Rmi.VERSION, out, failures.get(0)));
        failures.clear();
        assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.DATA_CREATE, w.a.rd, data, IPA_FREE, w.h.alloc(), 1));
        assertNull(failures.get(0), "a success reports no failure");
    }
}
