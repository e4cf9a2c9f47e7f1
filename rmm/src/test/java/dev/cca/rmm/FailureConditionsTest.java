package dev.cca.rmm;

import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.realm.RealmParams;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import static dev.cca.rmm.World.DEV_MEM;
import static dev.cca.rmm.World.IPA;
import static dev.cca.rmm.World.IPA_FREE;
import static dev.cca.rmm.World.IPA_NO_TABLE;
import static dev.cca.rmm.World.NS_IPA;
import static dev.cca.rmm.World.OOB_IPA;
import static dev.cca.rmm.World.OUTSIDE_PA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every failure condition of every RMI command, named with the spec's labels as Arm's ACS lists them
 * (test/command/cmd_*&#47;rmi_*_data.h, shared/research/rmm-spec.md 2.3), with the exact status and index, and
 * the priority orderings the ACS tests ("a_compare_b" cases: a stimulus that violates both a and b must report
 * a). After each failure the RMM's state (granule states, measurements, reference counts, an RTT) must be as it
 * was, and the RMM must have reported the case's condition by its label ({@link Failure}). Then the success path
 * and its state changes.
 */
class FailureConditionsTest {
    private static final long INPUT = Rmi.ERROR_INPUT;
    private static final long REALM = Rmi.pack(Rmi.ERROR_REALM, 0);
    private static final long REC = Rmi.pack(Rmi.ERROR_REC, 0);

    private static long rtt(int level) {
        return Rmi.pack(Rmi.ERROR_RTT, level);
    }

    /** Collects the cases of one command against one world. */
    private static final class Cases {
        final World w;
        final String command;
        final List<DynamicTest> tests = new ArrayList<>();

        /** The failure condition the RMM reported for the last RMI call. */
        private Failure last;
        private long lastFid;

        Cases(World w, String command) {
            this.w = w;
            this.command = command;
            w.h.fw.rmm.addObserver(new RmmObserver() {
                @Override
                public void rmiReturn(dev.cca.core.cpu.Cpu cpu, long fid, long[] args, long[] out, Failure f) {
                    last = f;
                    lastFid = fid;
                }
            });
        }

        Cases x0(String label, long expected, LongSupplier call) {
            tests.add(DynamicTest.dynamicTest(command + " " + label, () -> {
                World.Snapshot before = w.snapshot();
                last = null;
                long got = call.getAsLong();
                assertEquals(Rmi.describe(expected), Rmi.describe(got), label);
                assertEquals(expected, got, label);
                World.assertUnchanged(before, w.snapshot(), label);
                // The RMM names the condition the case stimulates (for a priority case, the one that must win).
                String condition = label.split(" ")[0].split("_compare_")[0];
                assertNotNull(last, label + ": no failure condition recorded");
                assertEquals(condition, last.label(), label + ": " + last.message());
                assertEquals(got, last.status(), label);
                assertTrue(RmiCommand.of(lastFid).conditions().contains(last.label()),
                        label + ": " + last.label() + " is not in the table's conditions of " + command);
            }));
            return this;
        }

        Cases rmi(String label, long expected, long fid, long... args) {
            return x0(label, expected, () -> w.h.rmi0(fid, args));
        }

        /** rd_align, rd_bound, rd_state with the RD in argument position {@code pos}. */
        Cases rdCases(long fid, int pos, long... args) {
            return granuleCases("rd", fid, pos, GranuleState.RD, args);
        }

        /** granule_align, _bound, _state for a granule argument that must be in state {@code ok}. */
        Cases granuleCases(String name, long fid, int pos, GranuleState ok, long... args) {
            return granuleCases(name, name + "_state", fid, pos, ok, args);
        }

        /** The same, where the spec calls the state condition {@code stateLabel} (rec_gran_state). */
        Cases granuleCases(String name, String stateLabel, long fid, int pos, GranuleState ok, long... args) {
            Map<String, Long> bad = w.granulesNotIn(ok);
            for (Map.Entry<String, Long> e : bad.entrySet()) {
                long[] a = args.clone();
                a[pos] = e.getValue();
                rmi(stateLabel + " " + e.getKey(), INPUT, fid, a);
            }
            long[] a = args.clone();
            a[pos] = args[pos] + 8;
            rmi(name + "_align", INPUT, fid, a.clone());
            a[pos] = DEV_MEM;
            rmi(name + "_bound DEV_MEM", INPUT, fid, a.clone());
            a[pos] = OUTSIDE_PA;
            rmi(name + "_bound OUTSIDE_OF_PERMITTED_PA", INPUT, fid, a.clone());
            return this;
        }

        /** An NS buffer argument: align, bound, pas (Realm: a delegated granule; Secure: EL3 gave it away). */
        Cases nsBufferCases(String name, long fid, int pos, long... args) {
            long[][] bad = {{args[pos] + 8}, {DEV_MEM}, {OUTSIDE_PA}, {w.delegated}, {w.secure}};
            String[] labels = {"_align", "_bound DEV_MEM", "_bound OUTSIDE_OF_PERMITTED_PA", "_pas REALM",
                "_pas SECURE"};
            for (int i = 0; i < bad.length; i++) {
                long[] a = args.clone();
                a[pos] = bad[i][0];
                rmi(name + labels[i], INPUT, fid, a);
            }
            return this;
        }
    }

    // ---- granules ------------------------------------------------------------------------------------------------

    @TestFactory
    List<DynamicTest> granuleDelegate() {
        World w = new World();
        Cases c = new Cases(w, "GRANULE_DELEGATE");
        c.rmi("gran_align", INPUT, Rmi.GRANULE_DELEGATE, w.undelegated + 8);
        c.rmi("gran_bound DEV_MEM", INPUT, Rmi.GRANULE_DELEGATE, DEV_MEM);
        c.rmi("gran_bound OUTSIDE_OF_PERMITTED_PA", INPUT, Rmi.GRANULE_DELEGATE, OUTSIDE_PA);
        for (Map.Entry<String, Long> e : w.granulesNotIn(GranuleState.NS).entrySet()) {
            c.rmi("gran_state " + e.getKey(), INPUT, Rmi.GRANULE_DELEGATE, e.getValue());
        }
        c.rmi("gran_gpt SECURE", INPUT, Rmi.GRANULE_DELEGATE, w.secure);
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> granuleUndelegate() {
        World w = new World();
        Cases c = new Cases(w, "GRANULE_UNDELEGATE");
        c.rmi("gran_align", INPUT, Rmi.GRANULE_UNDELEGATE, w.delegated + 8);
        c.rmi("gran_bound DEV_MEM", INPUT, Rmi.GRANULE_UNDELEGATE, DEV_MEM);
        c.rmi("gran_bound OUTSIDE_OF_PERMITTED_PA", INPUT, Rmi.GRANULE_UNDELEGATE, OUTSIDE_PA);
        for (Map.Entry<String, Long> e : w.granulesNotIn(GranuleState.DELEGATED).entrySet()) {
            c.rmi("gran_state " + e.getKey(), INPUT, Rmi.GRANULE_UNDELEGATE, e.getValue());
        }
        return c.tests;
    }

    // ---- realms --------------------------------------------------------------------------------------------------

    /** A fresh RD and 8 contiguous root RTT granules, and params for them. */
    private static long[] newRealmGranules(World w, int vmid) {
        long rd = w.h.delegated();
        long rtt = w.h.delegated();
        for (int i = 1; i < 8; i++) {
            w.h.delegated();
        }
        return new long[] {rd, rtt, w.realmParams(rtt, vmid)};
    }

    @TestFactory
    List<DynamicTest> realmCreate() {
        World w = new World();
        Cases c = new Cases(w, "REALM_CREATE");
        long[] g = newRealmGranules(w, 9);
        long rd = g[0];
        long rttBase = g[1];
        long params = g[2];
        c.nsBufferCases("params", Rmi.REALM_CREATE, 1, rd, params);
        // Each params_valid / params_supp stimulus changes one field of a copy of the valid params.
        Object[][] fields = {
            {"params_valid HASH_ALGO_INVALID", RealmParams.HASH_ALGO, 2L},
            {"params_valid S2SZ_INVALID (too small)", RealmParams.S2SZ, 31L},
            {"params_valid S2SZ_INVALID (above FEATURES.S2SZ)", RealmParams.S2SZ, 49L},
            {"params_supp LPA2_UNSUPPORTED", RealmParams.FLAGS, Rmi.REALM_FLAG_LPA2},
            {"params_supp SVE_UNSUPPORTED", RealmParams.FLAGS, Rmi.REALM_FLAG_SVE},
            {"params_supp PMU_UNSUPPORTED", RealmParams.FLAGS, Rmi.REALM_FLAG_PMU},
            {"params_supp BPS_UNSUPPORTED (0)", RealmParams.NUM_BPS, 0L},
            {"params_supp BPS_UNSUPPORTED (too many)", RealmParams.NUM_BPS, 16L},
            {"params_supp WPS_UNSUPPORTED (0)", RealmParams.NUM_WPS, 0L},
            {"params_supp WPS_UNSUPPORTED (too many)", RealmParams.NUM_WPS, 16L},
            {"rtt_align RTT_UNALIGNED", RealmParams.RTT_BASE, rttBase + 8},
            {"rtt_num_level RTT_START_INVALID (level 3 cannot start 33 bits)", RealmParams.RTT_LEVEL_START, 3L},
            {"rtt_num_level RTT_NUM_START (4 tables, 8 needed)", RealmParams.RTT_NUM_START, 4L},
            {"rtt_state RTT_BASE_UNDELEGATED", RealmParams.RTT_BASE, w.h.alloc()},
            {"vmid_valid VMID_INVALID", RealmParams.VMID, 256L},
            {"vmid_valid VMID_USED", RealmParams.VMID, 1L},
        };
        for (Object[] f : fields) {
            long p = w.realmParams(rttBase, 9);
            w.h.write64(p + (Integer) f[1], (Long) f[2]);
            c.rmi((String) f[0], INPUT, Rmi.REALM_CREATE, rd, p);
        }
        c.rmi("alias RTT_BASE_RD_ALIASED", INPUT, Rmi.REALM_CREATE, rttBase + 4096 * 3, params);
        c.granuleCases("rd", Rmi.REALM_CREATE, 0, GranuleState.DELEGATED, rd, params);
        // Success: RD, root RTTs, VMID and RIM
        c.tests.add(DynamicTest.dynamicTest("REALM_CREATE success", () -> {
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REALM_CREATE, rd, params));
            RmmInspector in = w.h.inspector();
            assertEquals(GranuleState.RD, in.granuleState(rd));
            for (int i = 0; i < 8; i++) {
                assertEquals(GranuleState.RTT, in.granuleState(rttBase + 4096L * i));
            }
            RmmInspector.RealmInfo info = in.realm(rd);
            assertEquals("NEW", info.stateName());
            assertEquals(9, info.vmid());
            assertNotEquals("0".repeat(64), info.rim());
            assertEquals("0".repeat(64), info.measurements().get(1), "REMs start at zero");
            long[] e = w.h.rmi(Rmi.RTT_READ_ENTRY, rd, NS_IPA & ~((2L << 20) - 1), 2);
            assertEquals(Rmi.RTT_STATE_UNASSIGNED, e[2], "the unprotected half starts UNASSIGNED_NS");
            long[] g2 = newRealmGranules(w, 9);
            assertEquals(INPUT, w.h.rmi0(Rmi.REALM_CREATE, g2[0], g2[2]), "VMID 9 is now in use");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> realmActivate() {
        World w = new World();
        Cases c = new Cases(w, "REALM_ACTIVATE");
        c.rdCases(Rmi.REALM_ACTIVATE, 0, w.a.rd);
        c.rmi("realm_state ACTIVE", REALM, Rmi.REALM_ACTIVATE, w.b.rd);
        c.rmi("realm_state SYSTEM_OFF", REALM, Rmi.REALM_ACTIVATE, w.c.rd);
        c.tests.add(DynamicTest.dynamicTest("REALM_ACTIVATE success", () -> {
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REALM_ACTIVATE, w.a.rd));
            assertEquals("ACTIVE", w.h.inspector().realm(w.a.rd).stateName());
            assertEquals(REALM, w.h.rmi0(Rmi.DATA_CREATE, w.a.rd, w.h.delegated(), IPA_FREE, w.h.alloc(), 0),
                    "DATA_CREATE needs a NEW realm");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> realmDestroy() {
        World w = new World();
        Cases c = new Cases(w, "REALM_DESTROY");
        c.rdCases(Rmi.REALM_DESTROY, 0, w.a.rd);
        c.rmi("realm_live (RECs)", REALM, Rmi.REALM_DESTROY, w.a.rd);
        c.tests.add(DynamicTest.dynamicTest("REALM_DESTROY realm_live (RTTs)", () -> {
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REC_DESTROY, w.a0));
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REC_DESTROY, w.a1));
            assertEquals(REALM, w.h.rmi0(Rmi.REALM_DESTROY, w.a.rd), "a level-3 RTT with a DATA page is live");
            assertEquals(Rmi.SUCCESS, w.h.rmi(Rmi.DATA_DESTROY, w.a.rd, IPA)[0]);
            assertEquals(REALM, w.h.rmi0(Rmi.REALM_DESTROY, w.a.rd), "the empty level-3 RTT is still live");
            assertEquals(Rmi.SUCCESS, w.h.rmi(Rmi.RTT_DESTROY, w.a.rd, IPA, 3)[0]);
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REALM_DESTROY, w.a.rd));
            assertEquals(GranuleState.DELEGATED, w.h.inspector().granuleState(w.a.rd));
            assertEquals(GranuleState.DELEGATED, w.h.inspector().granuleState(w.a.rtt));
            // VMID 1 is free again
            long[] g = newRealmGranules(w, 1);
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REALM_CREATE, g[0], g[2]));
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> recAuxCount() {
        World w = new World();
        Cases c = new Cases(w, "REC_AUX_COUNT");
        c.rdCases(Rmi.REC_AUX_COUNT, 0, w.a.rd);
        c.tests.add(DynamicTest.dynamicTest("REC_AUX_COUNT success", () -> {
            long[] r = w.h.rmi(Rmi.REC_AUX_COUNT, w.a.rd);
            assertEquals(Rmi.SUCCESS, r[0]);
            assertEquals(16, r[1]);
        }));
        return c.tests;
    }

    // ---- RECs ----------------------------------------------------------------------------------------------------

    @TestFactory
    List<DynamicTest> recCreate() {
        World w = new World();
        Cases c = new Cases(w, "REC_CREATE");
        long rec = w.h.delegated();
        long params = w.recParams(2);
        c.nsBufferCases("params", Rmi.REC_CREATE, 2, w.a.rd, rec, params);
        c.granuleCases("rec", Rmi.REC_CREATE, 1, GranuleState.DELEGATED, w.a.rd, rec, params);
        c.rdCases(Rmi.REC_CREATE, 0, w.a.rd, rec, params);
        c.rmi("realm_state ACTIVE", REALM, Rmi.REC_CREATE, w.b.rd, rec, w.recParams(3));
        c.rmi("realm_state SYSTEM_OFF", REALM, Rmi.REC_CREATE, w.c.rd, rec, w.recParams(1));
        c.rmi("mpidr_index MPIDR_SKIPPED", INPUT, Rmi.REC_CREATE, w.a.rd, rec, w.recParams(3));
        c.rmi("mpidr_index (reserved MPIDR bits)", INPUT, Rmi.REC_CREATE, w.a.rd, rec, w.recParams(2 | 0x10));
        long p = w.recParams(2);
        w.h.write64(p + RecParams.NUM_AUX, 15);
        c.rmi("num_aux NUM_AUX_INVALID", INPUT, Rmi.REC_CREATE, w.a.rd, rec, p);
        p = w.recParams(2);
        w.h.write64(p + RecParams.NUM_AUX, 17);
        c.rmi("num_aux (more than 16)", INPUT, Rmi.REC_CREATE, w.a.rd, rec, p);
        p = w.recParams(2);
        w.h.write64(p + RecParams.AUX + 8 * 5, w.h.delegated() + 8);
        c.rmi("aux_align AUX_UNALIGNED", INPUT, Rmi.REC_CREATE, w.a.rd, rec, p);
        p = w.recParams(2);
        w.h.write64(p + RecParams.AUX + 8 * 7, w.h.read64(p + RecParams.AUX));
        c.rmi("aux_alias (aux[7] = aux[0])", INPUT, Rmi.REC_CREATE, w.a.rd, rec, p);
        p = w.recParams(2);
        w.h.write64(p + RecParams.AUX + 8 * 3, rec);
        c.rmi("aux_alias (aux[3] = rec)", INPUT, Rmi.REC_CREATE, w.a.rd, rec, p);
        for (Map.Entry<String, Long> e : w.granulesNotIn(GranuleState.DELEGATED).entrySet()) {
            p = w.recParams(2);
            w.h.write64(p + RecParams.AUX + 8 * 15, e.getValue());
            c.rmi("aux_state " + e.getKey(), INPUT, Rmi.REC_CREATE, w.a.rd, rec, p);
        }
        c.tests.add(DynamicTest.dynamicTest("REC_CREATE success", () -> {
            String rim = w.h.inspector().realm(w.a.rd).rim();
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REC_CREATE, w.a.rd, rec, params));
            RmmInspector in = w.h.inspector();
            assertEquals(GranuleState.REC, in.granuleState(rec));
            assertEquals(GranuleState.REC_AUX, in.granuleState(w.h.read64(params + RecParams.AUX + 8 * 9)));
            assertEquals(3, in.realm(w.a.rd).liveRecs(), "RD refcount counts RECs");
            assertEquals(3, in.realm(w.a.rd).recCount());
            assertEquals(2, in.rec(rec).index());
            assertNotEquals(rim, in.realm(w.a.rd).rim(), "a runnable REC is measured");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> recDestroy() {
        World w = new World();
        Cases c = new Cases(w, "REC_DESTROY");
        c.granuleCases("rec", "rec_gran_state", Rmi.REC_DESTROY, 0, GranuleState.REC, w.a0);
        c.tests.add(DynamicTest.dynamicTest("REC_DESTROY success", () -> {
            long aux = w.auxOf(w.a1);
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.REC_DESTROY, w.a1));
            assertEquals(GranuleState.DELEGATED, w.h.inspector().granuleState(w.a1));
            assertEquals(GranuleState.DELEGATED, w.h.inspector().granuleState(aux));
            assertEquals(1, w.h.inspector().realm(w.a.rd).liveRecs());
            assertEquals(2, w.h.inspector().realm(w.a.rd).recCount(), "REC indices are not reused");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> recEnter() {
        World w = new World();
        Cases c = new Cases(w, "REC_ENTER");
        long run = w.run;
        long badRun = w.h.alloc();
        w.h.write64(badRun + RecRun.ENTER_GICV3_HCR, 1L << 10); // a bit the host may not set
        c.nsBufferCases("run", Rmi.REC_ENTER, 1, w.b2, run);
        c.granuleCases("rec", "rec_gran_state", Rmi.REC_ENTER, 0, GranuleState.REC, w.b2, run);
        c.rmi("realm_new", REALM, Rmi.REC_ENTER, w.a0, run);
        c.rmi("system_off", Rmi.pack(Rmi.ERROR_REALM, 1), Rmi.REC_ENTER, w.c0, run);
        c.rmi("rec_runnable", REC, Rmi.REC_ENTER, w.b1, run);
        c.rmi("rec_psci", REC, Rmi.REC_ENTER, w.b0, run);
        c.rmi("rec_gicv3 (HCR)", REC, Rmi.REC_ENTER, w.b2, badRun);
        long lrRun = w.h.alloc();
        w.h.write64(lrRun + RecRun.ENTER_GICV3_LRS, (1L << 62) | (1L << 61) | 27); // HW bit set
        c.rmi("rec_gicv3 (LR with HW = 1)", REC, Rmi.REC_ENTER, w.b2, lrRun);
        long dupRun = w.h.alloc();
        w.h.write64(dupRun + RecRun.ENTER_GICV3_LRS, (1L << 62) | 27);
        w.h.write64(dupRun + RecRun.ENTER_GICV3_LRS + 8, (1L << 62) | 27);
        c.rmi("rec_gicv3 (two LRs with one vINTID)", REC, Rmi.REC_ENTER, w.b2, dupRun);
        long mmioRun = w.h.alloc();
        w.h.write64(mmioRun + RecRun.ENTER_FLAGS, Rmi.REC_ENTER_EMUL_MMIO);
        c.rmi("rec_mmio (no emulatable abort to complete)", REC, Rmi.REC_ENTER, w.b2, mmioRun);
        long seaRun = w.h.alloc();
        w.h.write64(seaRun + RecRun.ENTER_FLAGS, Rmi.REC_ENTER_INJECT_SEA);
        c.rmi("inject_sea (no data abort to answer)", REC, Rmi.REC_ENTER, w.b2, seaRun);
        // Priority orderings the ACS tests
        c.rmi("rec_align_compare_rec_gicv3", INPUT, Rmi.REC_ENTER, w.b2 + 8, badRun);
        c.rmi("rec_bound_compare_rec_gicv3", INPUT, Rmi.REC_ENTER, DEV_MEM, badRun);
        c.rmi("rec_gran_state_compare_rec_gicv3", INPUT, Rmi.REC_ENTER, w.undelegated, badRun);
        c.rmi("run_pas_compare_rec_runnable", INPUT, Rmi.REC_ENTER, w.b1, w.secure);
        c.rmi("run_pas_compare_realm_new", INPUT, Rmi.REC_ENTER, w.a0, w.secure);
        c.rmi("run_pas_compare_system_off", INPUT, Rmi.REC_ENTER, w.c0, w.secure);
        c.rmi("run_bound_compare_rec_runnable", INPUT, Rmi.REC_ENTER, w.b1, DEV_MEM);
        c.rmi("run_bound_compare_realm_new", INPUT, Rmi.REC_ENTER, w.a0, DEV_MEM);
        c.rmi("run_bound_compare_system_off", INPUT, Rmi.REC_ENTER, w.c0, DEV_MEM);
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> psciComplete() {
        World w = new World();
        Cases c = new Cases(w, "PSCI_COMPLETE");
        c.rmi("alias", INPUT, Rmi.PSCI_COMPLETE, w.b0, w.b0, 0);
        c.granuleCases("calling", Rmi.PSCI_COMPLETE, 0, GranuleState.REC, w.b0, w.b1, 0);
        c.granuleCases("target", Rmi.PSCI_COMPLETE, 1, GranuleState.REC, w.b0, w.b1, 0);
        c.rmi("pending NO_PSCI_REQUEST", INPUT, Rmi.PSCI_COMPLETE, w.b2, w.b1, 0);
        c.rmi("owner TARGET_OTHER_OWNER", INPUT, Rmi.PSCI_COMPLETE, w.b0, w.a1, 0);
        c.rmi("target TARGET_OTHER_MPIDR", INPUT, Rmi.PSCI_COMPLETE, w.b0, w.b2, 0);
        c.rmi("status STATUS_NOT_PERMITTED", INPUT, Rmi.PSCI_COMPLETE, w.b0, w.b1, Psci.NOT_SUPPORTED);
        c.tests.add(DynamicTest.dynamicTest("PSCI_COMPLETE success", () -> {
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.PSCI_COMPLETE, w.b0, w.b1, Psci.SUCCESS));
            RmmInspector in = w.h.inspector();
            assertEquals(true, in.rec(w.b1).runnable(), "CPU_ON made the target runnable");
            assertEquals(IPA + 0x1000, in.rec(w.b1).pc());
            assertEquals(Psci.SUCCESS, in.rec(w.b0).gprs()[0]);
        }));
        return c.tests;
    }

    // ---- RTTs ----------------------------------------------------------------------------------------------------

    @TestFactory
    List<DynamicTest> rttCreate() {
        World w = new World();
        Cases c = new Cases(w, "RTT_CREATE");
        long rtt = w.h.delegated();
        c.rdCases(Rmi.RTT_CREATE, 0, w.a.rd, rtt, IPA_NO_TABLE, 3);
        c.rmi("level_bound LEVEL_STARTING", INPUT, Rmi.RTT_CREATE, w.a.rd, rtt, IPA_NO_TABLE, 2);
        c.rmi("level_bound LEVEL_OOB", INPUT, Rmi.RTT_CREATE, w.a.rd, rtt, IPA_NO_TABLE, 4);
        c.rmi("ipa_align IPA_UNALIGNED", INPUT, Rmi.RTT_CREATE, w.a.rd, rtt, IPA_NO_TABLE + 0x1000, 3);
        c.rmi("ipa_bound IPA_OOB", INPUT, Rmi.RTT_CREATE, w.a.rd, rtt, OOB_IPA, 3);
        c.granuleCases("rtt", Rmi.RTT_CREATE, 1, GranuleState.DELEGATED, w.a.rd, rtt, IPA_NO_TABLE, 3);
        c.rmi("rtte_state RTTE_STATE_TABLE", rtt(2), Rmi.RTT_CREATE, w.a.rd, rtt, IPA, 3);
        c.tests.add(DynamicTest.dynamicTest("RTT_CREATE success", () -> {
            int rootRefs = w.h.inspector().refcount(w.a.rtt + 4096);
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.RTT_CREATE, w.a.rd, rtt, IPA_NO_TABLE, 3));
            assertEquals(GranuleState.RTT, w.h.inspector().granuleState(rtt));
            assertEquals(rootRefs + 1, w.h.inspector().refcount(w.a.rtt + 4096));
            long[] e = w.h.rmi(Rmi.RTT_READ_ENTRY, w.a.rd, IPA_NO_TABLE, 2);
            assertEquals(Rmi.RTT_STATE_TABLE, e[2]);
            assertEquals(rtt, e[3]);
        }));
        return c.tests;
    }

    @Test
    void rttCreateWalkFailureReportsTheLevelReached() {
        // A 40-bit realm starts at level 1: a level-3 table needs its level-2 parent first.
        World w = new World();
        TestHost.Realm r = w.h.new Realm(40, Rmi.HASH_SHA_256, 7);
        assertEquals(Rmi.SUCCESS, r.create());
        assertEquals(rtt(1), w.h.rmi0(Rmi.RTT_CREATE, r.rd, w.h.delegated(), IPA, 3), "rtt_walk");
        assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.RTT_CREATE, r.rd, w.h.delegated(), IPA, 2));
        assertEquals(rtt(1), w.h.rmi0(Rmi.RTT_CREATE, r.rd, w.h.delegated(), IPA, 2), "rtte_state TABLE");
        assertEquals(rtt(2), w.h.rmi(Rmi.RTT_DESTROY, r.rd, IPA, 3)[0], "no level-3 table below");
    }

    @TestFactory
    List<DynamicTest> rttDestroy() {
        World w = new World();
        Cases c = new Cases(w, "RTT_DESTROY");
        c.rdCases(Rmi.RTT_DESTROY, 0, w.a.rd, IPA, 3);
        c.rmi("level_bound LEVEL_INVALID", INPUT, Rmi.RTT_DESTROY, w.a.rd, IPA, 4);
        c.rmi("level_bound LEVEL_STARTING_LEVEL", INPUT, Rmi.RTT_DESTROY, w.a.rd, IPA, 2);
        c.rmi("ipa_align IPA_LEVEL_UNALIGNED", INPUT, Rmi.RTT_DESTROY, w.a.rd, IPA + 0x1000, 3);
        c.rmi("ipa_bound IPA_OUT_OF_PERMITTED_IPA", INPUT, Rmi.RTT_DESTROY, w.a.rd, OOB_IPA, 3);
        c.rmi("rtte_state RTTE_STATE_UNASSIGNED", rtt(2), Rmi.RTT_DESTROY, w.a.rd, IPA_NO_TABLE, 3);
        c.rmi("rtt_live RTT_LIVE", rtt(3), Rmi.RTT_DESTROY, w.a.rd, IPA, 3);
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> rttFold() {
        World w = new World();
        Cases c = new Cases(w, "RTT_FOLD");
        c.rdCases(Rmi.RTT_FOLD, 0, w.a.rd, IPA, 3);
        c.rmi("level_bound LEVEL_STARTING_LEVEL", INPUT, Rmi.RTT_FOLD, w.a.rd, IPA, 2);
        c.rmi("level_bound LEVEL_OUT_OF_BOUND", INPUT, Rmi.RTT_FOLD, w.a.rd, IPA, 4);
        c.rmi("ipa_align IPA_L2_UNALIGNED", INPUT, Rmi.RTT_FOLD, w.a.rd, IPA + 0x1000, 3);
        c.rmi("ipa_bound IPA_OUT_OF_BOUND", INPUT, Rmi.RTT_FOLD, w.a.rd, OOB_IPA, 3);
        c.rmi("rtte_state RTTE_UNASSIGNED", rtt(2), Rmi.RTT_FOLD, w.a.rd, IPA_NO_TABLE, 3);
        c.rmi("rtte_homo RTT_NON_HOMOGENEOUS", rtt(3), Rmi.RTT_FOLD, w.a.rd, IPA, 3);
        c.rmi("level_bound_compare_rtt_walk", INPUT, Rmi.RTT_FOLD, w.a.rd, IPA_NO_TABLE, 4);
        c.rmi("level_bound_compare_rtte_state", INPUT, Rmi.RTT_FOLD, w.a.rd, IPA_NO_TABLE, 2);
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> rttReadEntry() {
        World w = new World();
        Cases c = new Cases(w, "RTT_READ_ENTRY");
        c.rdCases(Rmi.RTT_READ_ENTRY, 0, w.a.rd, IPA, 3);
        c.rmi("level_bound LEVEL_OOB", INPUT, Rmi.RTT_READ_ENTRY, w.a.rd, IPA, 4);
        c.rmi("level_bound (below the start level)", INPUT, Rmi.RTT_READ_ENTRY, w.a.rd, IPA, 1);
        c.rmi("ipa_align IPA_UNALIGNED", INPUT, Rmi.RTT_READ_ENTRY, w.a.rd, IPA + 8, 3);
        c.rmi("ipa_bound IPA_OOB", INPUT, Rmi.RTT_READ_ENTRY, w.a.rd, OOB_IPA, 3);
        c.tests.add(DynamicTest.dynamicTest("RTT_READ_ENTRY success", () -> {
            long[] e = w.h.rmi(Rmi.RTT_READ_ENTRY, w.a.rd, IPA, 3);
            assertEquals(Rmi.SUCCESS, e[0]);
            assertEquals(3, e[1]);
            assertEquals(Rmi.RTT_STATE_ASSIGNED, e[2]);
            assertEquals(w.dataA, e[3]);
            assertEquals(Rmi.RIPAS_RAM, e[4]);
            long[] u = w.h.rmi(Rmi.RTT_READ_ENTRY, w.a.rd, IPA_NO_TABLE + 0x1000, 3);
            assertEquals(2, u[1], "the walk stops at the level-2 entry");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> rttMapUnprotected() {
        World w = new World();
        Cases c = new Cases(w, "RTT_MAP_UNPROTECTED");
        long desc = 0x8000_0000L | (0x6L << 2) | (3L << 6);
        long nsBlock = NS_IPA & ~((2L << 20) - 1);
        w.a.rttCreate(nsBlock, 3);
        c.rdCases(Rmi.RTT_MAP_UNPROTECTED, 0, w.a.rd, NS_IPA, 3, desc);
        c.rmi("attr_valid MEM_ATTR_INVALID (MemAttr[3], RES0 with FWB)", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd,
                NS_IPA, 3, desc | (1L << 5));
        c.rmi("attr_valid (MemAttr FWB reserved)", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 3,
                0x8000_0000L | (0x4L << 2));
        c.rmi("attr_valid (RMM-owned bits set)", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 3, desc | (1L << 10));
        c.rmi("level_bound LEVEL_STARTING (0)", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 0, desc);
        c.rmi("level_bound LEVEL_OOB", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 4, desc);
        c.rmi("addr_align ADDR_UNALIGNED (to the level)", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, nsBlock, 2,
                desc | 0x1000);
        c.rmi("addr_bound ADDR_LPA2_PA", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 3, desc | (1L << 48));
        c.rmi("ipa_align IPA_UNALIGNED", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA + 8, 3, desc);
        c.rmi("ipa_bound IPA_PROTECTED", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, IPA_FREE, 3, desc);
        c.rmi("ipa_bound IPA_OOB", INPUT, Rmi.RTT_MAP_UNPROTECTED, w.a.rd, OOB_IPA, 3, desc);
        c.rmi("rtt_walk IPA_NOT_MAPPED", rtt(2), Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA + (2L << 20), 3, desc);
        c.tests.add(DynamicTest.dynamicTest("RTT_MAP_UNPROTECTED success then rtte_state", () -> {
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 3, desc));
            assertEquals(rtt(3), w.h.rmi0(Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 3, desc),
                    "rtte_state RTTE_STATE_ASSIGNED_NS");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> rttUnmapUnprotected() {
        World w = new World();
        Cases c = new Cases(w, "RTT_UNMAP_UNPROTECTED");
        long nsBlock = NS_IPA & ~((2L << 20) - 1);
        w.a.rttCreate(nsBlock, 3);
        assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 3, 0x8000_0000L));
        c.rdCases(Rmi.RTT_UNMAP_UNPROTECTED, 0, w.a.rd, NS_IPA, 3);
        c.rmi("level_bound LEVEL_STARTING (0)", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, NS_IPA, 0);
        c.rmi("level_bound LEVEL_OOB", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, NS_IPA, 4);
        c.rmi("ipa_align IPA_UNALIGNED", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, NS_IPA + 8, 3);
        c.rmi("ipa_bound IPA_PROTECTED", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, IPA, 3);
        c.rmi("ipa_bound IPA_OOB", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, OOB_IPA, 3);
        c.rmi("rtt_walk IPA_NOT_MAPPED", rtt(2), Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, NS_IPA + (2L << 20), 3);
        c.rmi("rtte_state RTTE_STATE_UNASSIGNED_NS", rtt(3), Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, NS_IPA + 0x1000, 3);
        c.rmi("level_bound_compare_rtt_walk", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, NS_IPA + (2L << 20), 4);
        c.rmi("level_bound_compare_rtte_state", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, NS_IPA + 0x1000, 4);
        c.rmi("ipa_bound_compare_rtt_walk", INPUT, Rmi.RTT_UNMAP_UNPROTECTED, w.a.rd, IPA_NO_TABLE, 3);
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> rttInitRipas() {
        World w = new World();
        Cases c = new Cases(w, "RTT_INIT_RIPAS");
        c.rdCases(Rmi.RTT_INIT_RIPAS, 0, w.a.rd, IPA_FREE, IPA_FREE + 0x1000);
        c.rmi("size_valid SIZE_INVALID", INPUT, Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_FREE, IPA_FREE);
        c.rmi("top_bound TOP_UNPROTECTED", INPUT, Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_FREE, (1L << 32) + 0x1000);
        c.rmi("realm_state ACTIVE", REALM, Rmi.RTT_INIT_RIPAS, w.b.rd, IPA + 0x2000, IPA + 0x3000);
        c.rmi("realm_state SYSTEM_OFF", REALM, Rmi.RTT_INIT_RIPAS, w.c.rd, IPA + 0x2000, IPA + 0x3000);
        c.rmi("base_align BASE_LEVEL_UNALIGNED", rtt(2), Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_NO_TABLE + 0x1000,
                IPA_NO_TABLE + 0x2000);
        c.rmi("rtte_state RTTE_STATE_ASSIGNED", rtt(3), Rmi.RTT_INIT_RIPAS, w.a.rd, IPA, IPA + 0x1000);
        c.rmi("top_gran_align TOP_GRAN_UNALIGNED", INPUT, Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_FREE, IPA_FREE + 0x800);
        c.rmi("no_progress TOP_LEVEL_UNALIGNED", rtt(2), Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_NO_TABLE,
                IPA_NO_TABLE + 0x1000);
        c.rmi("top_gran_align_compare_no_progress", INPUT, Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_NO_TABLE,
                IPA_NO_TABLE + 0x800);
        c.tests.add(DynamicTest.dynamicTest("RTT_INIT_RIPAS success", () -> {
            String rim = w.h.inspector().realm(w.a.rd).rim();
            long[] r = w.h.rmi(Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_FREE, IPA_NO_TABLE + (4L << 20));
            assertEquals(Rmi.SUCCESS, r[0]);
            assertEquals(IPA_NO_TABLE, r[1], "stops at the end of the level-3 table");
            assertEquals(Rmi.RIPAS_RAM, w.h.rmi(Rmi.RTT_READ_ENTRY, w.a.rd, IPA + 0x1F_F000, 3)[4]);
            assertNotEquals(rim, w.h.inspector().realm(w.a.rd).rim(), "RIPAS RAM is measured");
            long[] r2 = w.h.rmi(Rmi.RTT_INIT_RIPAS, w.a.rd, IPA_NO_TABLE, IPA_NO_TABLE + (4L << 20));
            assertEquals(IPA_NO_TABLE + (4L << 20), r2[1], "two 2 MB level-2 entries");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> rttSetRipas() {
        // REC b2 asks for RIPAS RAM over [FREE, FREE + 16 KB) in realm B, in a table where FREE is unassigned.
        World w = new World();
        long free = IPA + 0x8000;
        TestHost h = w.h;
        // b2 is runnable and spins at IPA + 0x1000; give it a request by running a fresh realm instead.
        TestHost.Realm d = h.new Realm(33, Rmi.HASH_SHA_256, 4);
        assertEquals(Rmi.SUCCESS, d.create());
        d.rttCreate(IPA, 3);
        d.dataCreate(IPA, new Asm().call(dev.cca.rmm.smc.Rsi.IPA_STATE_SET, free, free + 0x4000,
                Rmi.RIPAS_RAM, 0).hang().words());
        long d0 = d.recCreate(IPA, true, 0);
        assertEquals(Rmi.SUCCESS, d.activate());
        assertEquals(Rmi.SUCCESS, h.enter(d0, w.run));
        assertEquals(Rmi.EXIT_RIPAS_CHANGE, h.exit(w.run, RecRun.EXIT_REASON));
        Cases c = new Cases(w, "RTT_SET_RIPAS");
        c.rdCases(Rmi.RTT_SET_RIPAS, 0, d.rd, d0, free, free + 0x4000);
        c.granuleCases("rec", "rec_gran_state", Rmi.RTT_SET_RIPAS, 1, GranuleState.REC, d.rd, d0, free,
                free + 0x4000);
        c.rmi("rec_owner REC_OTHER_OWNER", REC, Rmi.RTT_SET_RIPAS, w.b.rd, d0, free, free + 0x4000);
        c.rmi("size_valid INVALID_SIZE", INPUT, Rmi.RTT_SET_RIPAS, d.rd, d0, free, free);
        c.rmi("base_bound BASE_MISMATCH", INPUT, Rmi.RTT_SET_RIPAS, d.rd, d0, free + 0x1000, free + 0x4000);
        c.rmi("top_bound TOP_OUT_OF_BOUND", INPUT, Rmi.RTT_SET_RIPAS, d.rd, d0, free, free + 0x5000);
        c.rmi("top_gran_align TOP_GRAN_UNALIGNED", INPUT, Rmi.RTT_SET_RIPAS, d.rd, d0, free, free + 0x800);
        c.rmi("base_bound_compare_base_align", INPUT, Rmi.RTT_SET_RIPAS, d.rd, d0, IPA_NO_TABLE + 0x1000,
                IPA_NO_TABLE + 0x2000);
        c.rmi("top_gran_align_compare_no_progress", INPUT, Rmi.RTT_SET_RIPAS, d.rd, d0, free, free + 0x10);
        c.tests.add(DynamicTest.dynamicTest("RTT_SET_RIPAS success", () -> {
            long[] r = h.rmi(Rmi.RTT_SET_RIPAS, d.rd, d0, free, free + 0x4000);
            assertEquals(Rmi.SUCCESS, r[0]);
            assertEquals(free + 0x4000, r[1]);
            assertEquals(Rmi.RIPAS_RAM, h.rmi(Rmi.RTT_READ_ENTRY, d.rd, free + 0x3000, 3)[4]);
            assertEquals(INPUT, h.rmi0(Rmi.RTT_SET_RIPAS, d.rd, d0, free, free + 0x4000), "base moved on");
        }));
        return c.tests;
    }

    @Test
    void rttSetRipasBaseAlignAndNoProgressReportTheWalkLevel() {
        World w = new World();
        TestHost h = w.h;
        TestHost.Realm d = h.new Realm(33, Rmi.HASH_SHA_256, 4);
        assertEquals(Rmi.SUCCESS, d.create());
        d.rttCreate(IPA, 3);
        // The request covers 4 MB from IPA_NO_TABLE + 4 KB (no level-3 table there) ...
        long base = IPA_NO_TABLE + 0x1000;
        d.dataCreate(IPA, new Asm().call(dev.cca.rmm.smc.Rsi.IPA_STATE_SET, base, base + (4L << 20),
                Rmi.RIPAS_RAM, 0).hang().words());
        long d0 = d.recCreate(IPA, true, 0);
        assertEquals(Rmi.SUCCESS, d.activate());
        assertEquals(Rmi.SUCCESS, h.enter(d0, w.run));
        assertEquals(rtt(2), h.rmi0(Rmi.RTT_SET_RIPAS, d.rd, d0, base, base + (4L << 20)), "base_align");
        // With a level-3 table there the change progresses to the table's end; beyond it the walk stops at a
        // 2 MB level-2 entry, which does not fit below a top 4 KB further: no_progress at level 2.
        assertEquals(Rmi.SUCCESS, d.rttCreate(IPA_NO_TABLE, 3));
        long[] r = h.rmi(Rmi.RTT_SET_RIPAS, d.rd, d0, base, base + (4L << 20));
        assertEquals(Rmi.SUCCESS, r[0]);
        assertEquals(IPA_NO_TABLE + (2L << 20), r[1], "stops at the end of the level-3 table");
        assertEquals(rtt(2), h.rmi0(Rmi.RTT_SET_RIPAS, d.rd, d0, r[1], r[1] + 0x1000),
                "no_progress: a 2 MB entry does not fit below top");
    }

    // ---- data ----------------------------------------------------------------------------------------------------

    @TestFactory
    List<DynamicTest> dataCreate() {
        World w = new World();
        Cases c = new Cases(w, "DATA_CREATE");
        long data = w.h.delegated();
        long src = w.h.alloc();
        c.rmi("flags_valid (not MEASURE or NO_MEASURE)", INPUT, Rmi.DATA_CREATE, w.a.rd, data, IPA_FREE, src, 2);
        c.nsBufferCases("src", Rmi.DATA_CREATE, 3, w.a.rd, data, IPA_FREE, src, 1);
        c.granuleCases("data", Rmi.DATA_CREATE, 1, GranuleState.DELEGATED, w.a.rd, data, IPA_FREE, src, 1);
        c.rdCases(Rmi.DATA_CREATE, 0, w.a.rd, data, IPA_FREE, src, 1);
        c.rmi("ipa_align IPA_UNALIGNED", INPUT, Rmi.DATA_CREATE, w.a.rd, data, IPA_FREE + 8, src, 1);
        c.rmi("ipa_bound IPA_UNPROTECTED", INPUT, Rmi.DATA_CREATE, w.a.rd, data, NS_IPA, src, 1);
        c.rmi("ipa_bound IPA_OUTSIDE_OF_PERMITTED_IPA", INPUT, Rmi.DATA_CREATE, w.a.rd, data, OOB_IPA, src, 1);
        c.rmi("realm_state ACTIVE", REALM, Rmi.DATA_CREATE, w.b.rd, data, IPA + 0x3000, src, 1);
        c.rmi("realm_state SYSTEM_OFF", REALM, Rmi.DATA_CREATE, w.c.rd, data, IPA + 0x3000, src, 1);
        c.rmi("rtt_walk IPA_NOT_MAPPED", rtt(2), Rmi.DATA_CREATE, w.a.rd, data, IPA_NO_TABLE, src, 1);
        c.rmi("rtte_state RTTE_STATE_ASSIGNED", rtt(3), Rmi.DATA_CREATE, w.a.rd, data, IPA, src, 1);
        c.rmi("ipa_bound_compare_rtt_walk", INPUT, Rmi.DATA_CREATE, w.a.rd, data, NS_IPA + (2L << 20), src, 1);
        long nsBlock = NS_IPA & ~((2L << 20) - 1);
        w.a.rttCreate(nsBlock, 3);
        assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.RTT_MAP_UNPROTECTED, w.a.rd, NS_IPA, 3, 0x8000_0000L));
        c.rmi("ipa_bound_compare_rtte_state (ASSIGNED_NS)", INPUT, Rmi.DATA_CREATE, w.a.rd, data, NS_IPA, src, 1);
        c.tests.add(DynamicTest.dynamicTest("DATA_CREATE success", () -> {
            String rim = w.h.inspector().realm(w.a.rd).rim();
            int refs = w.h.inspector().refcount(w.rttA);
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.DATA_CREATE, w.a.rd, data, IPA_FREE, src, 1));
            assertEquals(GranuleState.DATA, w.h.inspector().granuleState(data));
            assertEquals(refs + 1, w.h.inspector().refcount(w.rttA));
            assertNotEquals(rim, w.h.inspector().realm(w.a.rd).rim());
            assertEquals(Rmi.RIPAS_RAM, w.h.rmi(Rmi.RTT_READ_ENTRY, w.a.rd, IPA_FREE, 3)[4]);
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> dataCreateUnknown() {
        World w = new World();
        Cases c = new Cases(w, "DATA_CREATE_UNKNOWN");
        long data = w.h.delegated();
        c.granuleCases("data", Rmi.DATA_CREATE_UNKNOWN, 1, GranuleState.DELEGATED, w.a.rd, data, IPA_FREE);
        c.rdCases(Rmi.DATA_CREATE_UNKNOWN, 0, w.a.rd, data, IPA_FREE);
        c.rmi("ipa_align IPA_UNALIGNED", INPUT, Rmi.DATA_CREATE_UNKNOWN, w.a.rd, data, IPA_FREE + 8);
        c.rmi("ipa_bound IPA_UNPROTECTED", INPUT, Rmi.DATA_CREATE_UNKNOWN, w.a.rd, data, NS_IPA);
        c.rmi("ipa_bound IPA_OUTSIDE_OF_PERMITTED_IPA", INPUT, Rmi.DATA_CREATE_UNKNOWN, w.a.rd, data, OOB_IPA);
        c.rmi("rtt_walk IPA_NOT_MAPPED", rtt(2), Rmi.DATA_CREATE_UNKNOWN, w.a.rd, data, IPA_NO_TABLE);
        c.rmi("rtte_state RTTE_STATE_ASSIGNED", rtt(3), Rmi.DATA_CREATE_UNKNOWN, w.a.rd, data, IPA);
        c.rmi("ipa_bound_compare_rtt_walk", INPUT, Rmi.DATA_CREATE_UNKNOWN, w.a.rd, data, NS_IPA + (2L << 20));
        c.tests.add(DynamicTest.dynamicTest("DATA_CREATE_UNKNOWN success (any realm state, not measured)", () -> {
            String rim = w.h.inspector().realm(w.b.rd).rim();
            assertEquals(Rmi.SUCCESS, w.h.rmi0(Rmi.DATA_CREATE_UNKNOWN, w.b.rd, data, IPA + 0x3000));
            assertEquals(rim, w.h.inspector().realm(w.b.rd).rim());
            long[] e = w.h.rmi(Rmi.RTT_READ_ENTRY, w.b.rd, IPA + 0x3000, 3);
            assertEquals(Rmi.RTT_STATE_ASSIGNED, e[2]);
            assertEquals(Rmi.RIPAS_EMPTY, e[4], "the RIPAS is unchanged");
        }));
        return c.tests;
    }

    @TestFactory
    List<DynamicTest> dataDestroy() {
        World w = new World();
        Cases c = new Cases(w, "DATA_DESTROY");
        c.rdCases(Rmi.DATA_DESTROY, 0, w.a.rd, IPA);
        c.rmi("ipa_align IPA_UNALIGNED", INPUT, Rmi.DATA_DESTROY, w.a.rd, IPA + 8);
        c.rmi("ipa_bound IPA_UNPROTECTED", INPUT, Rmi.DATA_DESTROY, w.a.rd, NS_IPA);
        c.rmi("ipa_bound IPA_OUTSIDE_OF_PERMITTED_IPA", INPUT, Rmi.DATA_DESTROY, w.a.rd, OOB_IPA);
        c.rmi("rtt_walk IPA_NOT_MAPPED", rtt(2), Rmi.DATA_DESTROY, w.a.rd, IPA_NO_TABLE);
        c.rmi("rtte_state RTTE_STATE_UNASSIGNED", rtt(3), Rmi.DATA_DESTROY, w.a.rd, IPA_FREE);
        c.rmi("ipa_bound_compare_rtt_walk", INPUT, Rmi.DATA_DESTROY, w.a.rd, NS_IPA + (2L << 20));
        w.a.rttCreate(NS_IPA & ~((2L << 20) - 1), 3);
        c.rmi("ipa_bound_compare_rtte_state (UNASSIGNED_NS)", INPUT, Rmi.DATA_DESTROY, w.a.rd, NS_IPA + 0x1000);
        c.tests.add(DynamicTest.dynamicTest("DATA_DESTROY X2 on rtt_walk is the top of the non-live region", () -> {
            long[] r = w.h.rmi(Rmi.DATA_DESTROY, w.a.rd, IPA_NO_TABLE);
            assertEquals(rtt(2), r[0]);
            assertEquals(0x8000_0000L, r[2], "no live level-2 entry after it in the root table (1-2 GB)");
        }));
        c.tests.add(DynamicTest.dynamicTest("DATA_DESTROY success", () -> {
            int refs = w.h.inspector().refcount(w.rttA);
            long[] r = w.h.rmi(Rmi.DATA_DESTROY, w.a.rd, IPA);
            assertEquals(Rmi.SUCCESS, r[0]);
            assertEquals(w.dataA, r[1]);
            assertEquals(GranuleState.DELEGATED, w.h.inspector().granuleState(w.dataA));
            assertEquals(refs - 1, w.h.inspector().refcount(w.rttA));
            assertEquals(Rmi.RIPAS_DESTROYED, w.h.rmi(Rmi.RTT_READ_ENTRY, w.a.rd, IPA, 3)[4]);
        }));
        return c.tests;
    }

    // ---- the rest ------------------------------------------------------------------------------------------------

    @Test
    void versionFeaturesAndUnknownFunctions() {
        World w = new World();
        long[] v = w.h.rmi(Rmi.VERSION, Rmi.ABI_1_0);
        assertEquals(Rmi.SUCCESS, v[0]);
        assertEquals(Rmi.ABI_1_0, v[1]);
        assertEquals(Rmi.ABI_1_0, v[2]);
        long[] v2 = w.h.rmi(Rmi.VERSION, 0x10001L);
        assertEquals(INPUT, v2[0], "1.1 is not supported");
        assertEquals(Rmi.ABI_1_0, v2[1]);
        assertEquals(Rmi.SUCCESS, w.h.rmi(Rmi.FEATURES, 0)[0]);
        assertEquals(0, w.h.rmi(Rmi.FEATURES, 1)[1], "only feature register 0 is defined");
        long fr0 = w.h.rmi(Rmi.FEATURES, 0)[1];
        assertEquals(48, fr0 & 0xFF, "S2SZ");
        assertEquals(0, (fr0 >>> 8) & 1, "no LPA2");
        assertEquals(5, (fr0 >>> 14) & 0x3F, "NUM_BPS = ID_AA64DFR0_EL1.BRPs");
        assertEquals(3, (fr0 >>> 20) & 0x3F, "NUM_WPS");
        assertEquals(3, (fr0 >>> 32) & 3, "SHA-256 and SHA-512");
        assertEquals(10, (fr0 >>> 38) & 0xF, "MAX_RECS_ORDER");
        assertEquals(-1L, w.h.rmi0(0xC400_0156L), "a hole in the RMI range is SMC_UNKNOWN");
        assertEquals(-1L, w.h.rmi0(0xC400_0170L), "a v1.1 function is SMC_UNKNOWN");
        assertEquals(Rmi.SUCCESS, w.h.rmi(Rmi.VERSION | (1L << 16), Rmi.ABI_1_0)[0], "the SVE hint is ignored");
    }
}
