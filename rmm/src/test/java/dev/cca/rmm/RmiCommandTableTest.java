package dev.cca.rmm;

import dev.cca.rmm.rsi.RsiCommand;
import dev.cca.rmm.smc.Param;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import dev.cca.rmm.smc.SmcDecoder;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RMI and RSI command tables against the specification's register counts (shared/research/rmm-spec.md 2.1:
 * TF-RMM R10's handler table), and the lookups the dispatcher and the tools share.
 */
class RmiCommandTableTest {
    /** RMM v1.0 B3.3: command -> {argument registers, result registers}. */
    private static final Map<String, int[]> RMI_REGISTERS = Map.ofEntries(
            Map.entry("RMI_VERSION", new int[] {1, 2}), Map.entry("RMI_GRANULE_DELEGATE", new int[] {1, 0}),
            Map.entry("RMI_GRANULE_UNDELEGATE", new int[] {1, 0}), Map.entry("RMI_DATA_CREATE", new int[] {5, 0}),
            Map.entry("RMI_DATA_CREATE_UNKNOWN", new int[] {3, 0}), Map.entry("RMI_DATA_DESTROY", new int[] {2, 2}),
            Map.entry("RMI_REALM_ACTIVATE", new int[] {1, 0}), Map.entry("RMI_REALM_CREATE", new int[] {2, 0}),
            Map.entry("RMI_REALM_DESTROY", new int[] {1, 0}), Map.entry("RMI_REC_CREATE", new int[] {3, 0}),
            Map.entry("RMI_REC_DESTROY", new int[] {1, 0}), Map.entry("RMI_REC_ENTER", new int[] {2, 0}),
            Map.entry("RMI_RTT_CREATE", new int[] {4, 0}), Map.entry("RMI_RTT_DESTROY", new int[] {3, 2}),
            Map.entry("RMI_RTT_MAP_UNPROTECTED", new int[] {4, 0}), Map.entry("RMI_RTT_READ_ENTRY", new int[] {3, 4}),
            Map.entry("RMI_RTT_UNMAP_UNPROTECTED", new int[] {3, 1}), Map.entry("RMI_PSCI_COMPLETE", new int[] {3, 0}),
            Map.entry("RMI_FEATURES", new int[] {1, 1}), Map.entry("RMI_RTT_FOLD", new int[] {3, 1}),
            Map.entry("RMI_REC_AUX_COUNT", new int[] {1, 1}), Map.entry("RMI_RTT_INIT_RIPAS", new int[] {3, 1}),
            Map.entry("RMI_RTT_SET_RIPAS", new int[] {4, 1}));

    @Test
    void everyRmiCommandOfTheSpecIsOneRowWithTheSpecsRegisterCounts() {
        assertEquals(RMI_REGISTERS.keySet().size(), RmiCommand.values().length);
        Set<Long> fids = new HashSet<>();
        for (RmiCommand c : RmiCommand.values()) {
            int[] regs = RMI_REGISTERS.get(c.specName());
            assertEquals(regs[0], c.args().size(), c.specName() + " arguments");
            assertEquals(regs[1], c.results().size(), c.specName() + " results");
            assertTrue(fids.add(c.fid()), "one row per FID");
            assertSame(c, RmiCommand.of(c.fid()));
            assertSame(c, RmiCommand.of(c.fid() | (1L << 16)), "the SVE hint is ignored");
            assertEquals(c.specName(), Rmi.name(c.fid()));
            assertEquals(c.specName(), SmcDecoder.name(c.fid()));
            assertEquals(c.conditions().size(), new HashSet<>(c.conditions()).size(), "each label once");
            if (c != RmiCommand.FEATURES) {
                assertTrue(!c.conditions().isEmpty(), c.specName() + " can fail");
            }
        }
        assertNull(RmiCommand.of(0xC400_0156L), "a hole in the v1.0 range");
        assertNull(RmiCommand.of(Rsi.VERSION));
    }

    @Test
    void argumentKindsSayWhatEachRegisterHolds() {
        assertEquals(Param.Kind.RD, RmiCommand.DATA_CREATE.args().get(0).kind());
        assertEquals(Param.Kind.GRANULE, RmiCommand.DATA_CREATE.args().get(1).kind());
        assertEquals(Param.Kind.IPA, RmiCommand.DATA_CREATE.args().get(2).kind());
        assertEquals(Param.Kind.NS_GRANULE, RmiCommand.DATA_CREATE.args().get(3).kind());
        assertEquals(Param.Kind.LEVEL, RmiCommand.RTT_CREATE.args().get(3).kind());
        assertEquals(Param.Kind.REC, RmiCommand.REC_ENTER.args().get(0).kind());
        assertEquals(Param.Kind.GRANULE, RmiCommand.REALM_CREATE.args().get(0).kind(), "a delegated granule, not an RD");
    }

    @Test
    void everyRsiCommandIsOneRow() {
        assertEquals(10, RsiCommand.values().length);
        for (RsiCommand c : RsiCommand.values()) {
            assertSame(c, RsiCommand.of(c.fid()));
            assertEquals(c.specName(), Rsi.name(c.fid()));
            assertEquals(c.specName(), SmcDecoder.name(c.fid()));
        }
        assertNull(RsiCommand.of(0xC400_019AL), "a v1.1 command");
    }
}
