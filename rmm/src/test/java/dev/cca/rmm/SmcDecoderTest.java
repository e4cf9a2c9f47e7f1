package dev.cca.rmm;

import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.Rsi;
import dev.cca.rmm.smc.SmcDecoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding of RMI/RSI/PSCI calls for traces and debuggers. */
class SmcDecoderTest {

    @Test
    void dataCreateArgumentsAreNamedAsInTheSpec() {
        long[] x = {Rmi.DATA_CREATE, 0x8010_0000L, 0x8010_1000L, 0x4000_0000L, 0x8020_0000L, 1, 0};
        assertEquals("RMI_DATA_CREATE rd=0x80100000 data=0x80101000 ipa=0x40000000 src=0x80200000 flags=MEASURE",
                SmcDecoder.formatCall(Rmi.DATA_CREATE, x));
        assertEquals(SmcDecoder.Interface.RMI, SmcDecoder.interfaceOf(Rmi.DATA_CREATE));
    }

    @Test
    void rttErrorsCarryTheLevelAndFailedCallsShowNoOutputs() {
        long[] out = {Rmi.pack(Rmi.ERROR_RTT, 2), 0, 0, 0, 0};
        assertEquals("RMI_RTT_CREATE -> RMI_ERROR_RTT(2)", SmcDecoder.formatReturn(Rmi.RTT_CREATE, out));
        assertTrue(SmcDecoder.results(Rmi.RTT_READ_ENTRY, out).isEmpty());
        assertFalse(SmcDecoder.succeeded(Rmi.RTT_CREATE, out[0]));
    }

    @Test
    void readEntryResultsDecodeStateAndRipas() {
        long[] out = {0, 3, Rmi.RTT_STATE_ASSIGNED, 0x8030_0000L | 0x4c3, Rmi.RIPAS_RAM};
        Map<String, String> r = SmcDecoder.results(Rmi.RTT_READ_ENTRY, out);
        assertEquals(Map.of("walk_level", "3", "state", "ASSIGNED", "desc", "0x803004c3", "ripas", "RAM"), r);
    }

    @Test
    void versionCallsShowVersionsEvenWhenRefused() {
        long[] out = {Rmi.ERROR_INPUT, Rmi.ABI_1_0, Rmi.ABI_1_0, 0, 0};
        assertEquals("RMI_VERSION -> RMI_ERROR_INPUT lower=1.0 higher=1.0",
                SmcDecoder.formatReturn(Rmi.VERSION, out));
        assertEquals("RSI_VERSION req=1.0", SmcDecoder.formatCall(Rsi.VERSION, new long[] {Rsi.VERSION, 0x10000}));
    }

    @Test
    void measurementReadReturnsLittleEndianBytes() {
        long[] out = {0, 0x0807060504030201L, 0, 0, 0};
        assertTrue(SmcDecoder.formatReturn(Rsi.MEASUREMENT_READ, out)
                .startsWith("RSI_MEASUREMENT_READ -> RSI_SUCCESS value=0102030405060708"));
    }

    @Test
    void psciAndSmcccCalls() {
        assertEquals("PSCI_SYSTEM_OFF", SmcDecoder.formatCall(Psci.SYSTEM_OFF, new long[] {Psci.SYSTEM_OFF}));
        assertEquals("PSCI_CPU_ON -> PSCI_ALREADY_ON",
                SmcDecoder.formatReturn(Psci.CPU_ON_64, new long[] {-4, 0, 0, 0, 0}));
        assertEquals("PSCI_VERSION -> version 1.1",
                SmcDecoder.formatReturn(Psci.VERSION, new long[] {Psci.VERSION_1_1, 0, 0, 0, 0}));
        assertEquals("SMCCC_VERSION -> version 1.2",
                SmcDecoder.formatReturn(0x8000_0000L, new long[] {0x10002, 0, 0, 0, 0}));
    }

    @ParameterizedTest
    @ValueSource(longs = {0xC400_0160L, 0xC400_0170L, 0xC400_01A0L, 0x8600_0000L, 0, -1})
    void unknownFunctionIdsAreShownByNumberWithoutArguments(long fid) {
        String s = SmcDecoder.formatCall(fid, new long[] {fid, 1, 2, 3});
        assertFalse(s.contains("="), s);
        assertEquals(SmcDecoder.name(fid), s);
    }

    @Test
    void everyNamedRmiCommandHasADecoding() {
        for (long fid = Rmi.RANGE_FIRST; fid <= Rmi.RANGE_LAST; fid++) {
            if (Rmi.name(fid) != null) {
                assertEquals(Rmi.name(fid), SmcDecoder.name(fid));
            }
        }
    }
}
