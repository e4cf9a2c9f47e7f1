package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.mem.Pas;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.smc.Rmi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The success paths and the state changes of RTT_DESTROY, RTT_FOLD, RTT_MAP/UNMAP_UNPROTECTED, DATA_DESTROY and
 * RTT_SET_RIPAS's table effects, read back with RTT_READ_ENTRY and the granule table.
 */
class RttAndDataCommandsTest {
    static final long IPA = 0x4000_0000L;
    /** The unprotected alias of 0x0900_0000 in a 33-bit IPA space. */
    static final long NS_IPA = (1L << 32) | 0x0900_0000L;
    static final long L2 = 2L << 20;

    TestHost h;
    TestHost.Realm realm;

    @BeforeEach
    void createRealm() {
        h = new TestHost();
        realm = h.new Realm();
        assertEquals(Rmi.SUCCESS, realm.create());
    }

    private GranuleState state(long pa) {
        return h.inspector().granuleState(pa);
    }

    @Test
    void rttDestroyOfAProtectedTableLeavesTheParentDestroyedAndTheGranuleDelegated() {
        long rtt = h.delegated();
        assertEquals(Rmi.SUCCESS, realm.rttCreate(rtt, IPA, 3));
        assertEquals(GranuleState.RTT, state(rtt));
        assertEquals(1, h.inspector().refcount(realm.rtt + 4096), "the second root table maps 1-2 GB");
        long[] r = h.rmi(Rmi.RTT_DESTROY, realm.rd, IPA, 3);
        assertEquals(Rmi.SUCCESS, r[0]);
        assertEquals(rtt, r[1], "X1 = the destroyed RTT");
        assertEquals(IPA + L2 * 512 - IPA % (L2 * 512), r[2], "nothing live in the rest of the root table");
        assertEquals(GranuleState.DELEGATED, state(rtt));
        long[] e = realm.readEntry(IPA, 2);
        assertEquals(2, e[1]);
        assertEquals(Rmi.RTT_STATE_UNASSIGNED, e[2]);
        assertEquals(Rmi.RIPAS_DESTROYED, e[4], "an all-EMPTY table still leaves DESTROYED behind");
    }

    @Test
    void rttDestroyOfALiveTableFailsAtItsLevelWithIpaAsTopOfNonLive() {
        realm.rttCreate(IPA, 3);
        realm.dataCreateUnknown(IPA + 0x5000);
        long[] r = h.rmi(Rmi.RTT_DESTROY, realm.rd, IPA, 3);
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 3), r[0]);
        assertEquals(IPA, r[2]);
    }

    @Test
    void rttDestroyWithoutTableReportsWalkLevelAndNextLiveAddress() {
        realm.rttCreate(IPA + 3 * L2, 3); // a live entry three 2 MB entries further on
        long[] r = h.rmi(Rmi.RTT_DESTROY, realm.rd, IPA, 3);
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 2), r[0]);
        assertEquals(IPA + 3 * L2, r[2], "top of the non-live region stops at the next table");
    }

    @Test
    void unprotectedTableDestroyLeavesUnassignedNs() {
        long rtt = h.delegated();
        assertEquals(Rmi.SUCCESS, realm.rttCreate(rtt, NS_IPA & ~(L2 - 1), 3));
        long[] r = h.rmi(Rmi.RTT_DESTROY, realm.rd, NS_IPA & ~(L2 - 1), 3);
        assertEquals(Rmi.SUCCESS, r[0]);
        long[] e = realm.readEntry(NS_IPA & ~(L2 - 1), 2);
        assertEquals(Rmi.RTT_STATE_UNASSIGNED, e[2]);
        assertEquals(Rmi.RIPAS_EMPTY, e[4]);
        // still an NS entry: it can be mapped as an unprotected block
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, NS_IPA & ~(L2 - 1), 2, 0x8020_0000L));
    }

    @Test
    void foldOfAHomogeneousUnassignedTableRestoresTheParentState() {
        long rtt = h.delegated();
        realm.rttCreate(rtt, IPA, 3);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_INIT_RIPAS, realm.rd, IPA, IPA + L2));
        long[] r = h.rmi(Rmi.RTT_FOLD, realm.rd, IPA, 3);
        assertEquals(Rmi.SUCCESS, r[0]);
        assertEquals(rtt, r[1]);
        assertEquals(GranuleState.DELEGATED, state(rtt));
        long[] e = realm.readEntry(IPA, 3);
        assertEquals(2, e[1], "the walk now stops at the level-2 entry");
        assertEquals(Rmi.RIPAS_RAM, e[4]);
    }

    @Test
    void foldOfAMixedTableIsRejectedAtTheChildLevel() {
        realm.rttCreate(IPA, 3);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_INIT_RIPAS, realm.rd, IPA, IPA + 0x1000));
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 3), h.rmi0(Rmi.RTT_FOLD, realm.rd, IPA, 3));
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 2), h.rmi0(Rmi.RTT_FOLD, realm.rd, IPA + L2, 3),
                "no table at level 2 to fold");
    }

    @Test
    void fullyAssignedContiguousTableFoldsIntoABlockAndUnfoldsBack() {
        long rtt = h.delegated();
        realm.rttCreate(rtt, IPA, 3);
        h.alignTo(L2);
        long base = h.delegated();
        for (int i = 1; i < 512; i++) {
            h.delegated();
        }
        for (int i = 0; i < 512; i++) {
            assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.DATA_CREATE_UNKNOWN, realm.rd, base + 4096L * i, IPA + 4096L * i));
        }
        assertEquals(512, h.inspector().refcount(rtt));
        long[] r = h.rmi(Rmi.RTT_FOLD, realm.rd, IPA, 3);
        assertEquals(Rmi.SUCCESS, r[0]);
        long[] e = realm.readEntry(IPA, 3);
        assertEquals(2, e[1]);
        assertEquals(Rmi.RTT_STATE_ASSIGNED, e[2]);
        assertEquals(base, e[3], "a 2 MB ASSIGNED_EMPTY block of the same granules");
        assertEquals(Rmi.RIPAS_EMPTY, e[4]);
        for (int i = 0; i < 512; i++) {
            assertEquals(GranuleState.DATA, state(base + 4096L * i));
        }
        // Unfold into a new table: 512 ASSIGNED entries again
        long rtt2 = h.delegated();
        assertEquals(Rmi.SUCCESS, realm.rttCreate(rtt2, IPA, 3));
        assertEquals(512, h.inspector().refcount(rtt2));
        long[] p = realm.readEntry(IPA + 0x7000, 3);
        assertEquals(base + 0x7000, p[3]);
        // and DATA_DESTROY works page by page on the unfolded table
        long[] d = h.rmi(Rmi.DATA_DESTROY, realm.rd, IPA + 0x7000);
        assertEquals(Rmi.SUCCESS, d[0]);
        assertEquals(base + 0x7000, d[1]);
        assertEquals(511, h.inspector().refcount(rtt2));
    }

    @Test
    void dataDestroyTransitionsEachAssignedStateAndScrubsTheGranule() {
        realm.rttCreate(IPA, 3);
        // ASSIGNED_RAM via DATA_CREATE -> UNASSIGNED_DESTROYED
        long data = realm.dataCreate(IPA, 0x12345678);
        long[] r = h.rmi(Rmi.DATA_DESTROY, realm.rd, IPA);
        assertEquals(Rmi.SUCCESS, r[0]);
        assertEquals(data, r[1]);
        assertEquals(IPA + L2, r[2], "no live entry left in the table");
        assertEquals(Rmi.RIPAS_DESTROYED, realm.readEntry(IPA, 3)[4]);
        assertEquals(GranuleState.DELEGATED, state(data));
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.GRANULE_UNDELEGATE, data));
        assertEquals(0, h.read64(data), "the realm's data was scrubbed before the host got the granule back");
        // ASSIGNED_EMPTY -> UNASSIGNED_EMPTY
        realm.dataCreateUnknown(IPA + 0x1000);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.DATA_DESTROY, realm.rd, IPA + 0x1000));
        long[] e = realm.readEntry(IPA + 0x1000, 3);
        assertEquals(Rmi.RTT_STATE_UNASSIGNED, e[2]);
        assertEquals(Rmi.RIPAS_EMPTY, e[4]);
        // ASSIGNED_DESTROYED -> UNASSIGNED_DESTROYED: map over the destroyed page, destroy again
        realm.dataCreateUnknown(IPA);
        assertEquals(Rmi.RTT_STATE_ASSIGNED, realm.readEntry(IPA, 3)[2]);
        assertEquals(Rmi.RIPAS_DESTROYED, realm.readEntry(IPA, 3)[4]);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.DATA_DESTROY, realm.rd, IPA));
        assertEquals(Rmi.RIPAS_DESTROYED, realm.readEntry(IPA, 3)[4]);
    }

    @Test
    void dataDestroyOfAnUnassignedEntryReportsTheNextLiveAddress() {
        realm.rttCreate(IPA, 3);
        realm.dataCreateUnknown(IPA + 0x4000);
        long[] r = h.rmi(Rmi.DATA_DESTROY, realm.rd, IPA + 0x1000);
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 3), r[0]);
        assertEquals(IPA + 0x4000, r[2]);
    }

    @Test
    void mapAndUnmapUnprotectedPageUsesTheHostsAttributes() {
        realm.rttCreate(NS_IPA & ~(L2 - 1), 3);
        long desc = 0x8012_3000L | (0x5L << 2) | (3L << 6); // OA, MemAttr normal NC, S2AP RW
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, NS_IPA, 3, desc));
        long[] e = realm.readEntry(NS_IPA, 3);
        assertEquals(Rmi.RTT_STATE_ASSIGNED, e[2]);
        assertEquals(desc, e[3], "RTT_READ_ENTRY returns the host's part of the descriptor");
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 3), h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, NS_IPA, 3, desc),
                "already mapped");
        long[] u = h.rmi(Rmi.RTT_UNMAP_UNPROTECTED, realm.rd, NS_IPA, 3);
        assertEquals(Rmi.SUCCESS, u[0]);
        assertEquals((NS_IPA & ~(L2 - 1)) + L2, u[1], "top of the non-live region: the end of the table");
        assertEquals(Rmi.RTT_STATE_UNASSIGNED, realm.readEntry(NS_IPA, 3)[2]);
        long[] again = h.rmi(Rmi.RTT_UNMAP_UNPROTECTED, realm.rd, NS_IPA, 3);
        assertEquals(Rmi.pack(Rmi.ERROR_RTT, 3), again[0]);
    }

    @Test
    void unprotectedMappingsHoldNoReferenceSoTheirTableCanBeFoldedIntoABlock() {
        long rtt = h.delegated();
        long base = NS_IPA & ~(L2 - 1);
        realm.rttCreate(rtt, base, 3);
        long attrs = (0x6L << 2) | (3L << 6);
        for (int i = 0; i < 512; i++) {
            assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, base + 4096L * i, 3,
                    (0x8040_0000L + 4096L * i) | attrs));
        }
        assertEquals(0, h.inspector().refcount(rtt));
        long[] f = h.rmi(Rmi.RTT_FOLD, realm.rd, base, 3);
        assertEquals(Rmi.SUCCESS, f[0]);
        long[] e = realm.readEntry(base, 2);
        assertEquals(Rmi.RTT_STATE_ASSIGNED, e[2]);
        assertEquals(0x8040_0000L | attrs, e[3]);
    }

    @Test
    void mapUnprotectedRejectsReservedMemAttrAndProtectedIpas() {
        realm.rttCreate(NS_IPA & ~(L2 - 1), 3);
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, NS_IPA, 3, 0x8000_0000L | 0x10),
                "MemAttr 0b100 is reserved with FWB");
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, NS_IPA, 3, 0x8000_0000L | 1),
                "descriptor type bits belong to the RMM");
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, IPA, 3, 0x8000_0000L),
                "protected IPA");
        assertEquals(Rmi.ERROR_INPUT, h.rmi0(Rmi.RTT_MAP_UNPROTECTED, realm.rd, NS_IPA, 0, 0x8000_0000L),
                "level 0 is below the minimum block level");
    }

    @Test
    void realmDestroyAfterFullTeardownReturnsEveryGranule() {
        long rtt = h.delegated();
        realm.rttCreate(rtt, IPA, 3);
        long data = realm.dataCreate(IPA, 1, 2, 3);
        assertEquals(Rmi.pack(Rmi.ERROR_REALM, 0), h.rmi0(Rmi.REALM_DESTROY, realm.rd), "still live");
        assertEquals(Rmi.SUCCESS, h.rmi(Rmi.DATA_DESTROY, realm.rd, IPA)[0]);
        assertEquals(Rmi.SUCCESS, h.rmi(Rmi.RTT_DESTROY, realm.rd, IPA, 3)[0]);
        assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.REALM_DESTROY, realm.rd));
        for (long g : new long[] {rtt, data, realm.rd, realm.rtt}) {
            assertEquals(GranuleState.DELEGATED, state(g));
            assertEquals(Rmi.SUCCESS, h.rmi0(Rmi.GRANULE_UNDELEGATE, g));
        }
        // the granule the realm ran from is readable again, and zero
        assertEquals(0, h.cpu.physRead(data, 8, Pas.NON_SECURE));
        assertThrows(Cpu.PhysicalAccessException.class, () -> h.cpu.physRead(realm.rtt + 4096, 8, Pas.NON_SECURE),
                "the other root tables are still delegated");
    }
}
