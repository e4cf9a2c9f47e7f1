package dev.cca.kvm.uapi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The model's struct sizes, field offsets, request numbers and ids equal the C layout stated in AbiLayout. */
class StructLayoutTest {
    static Stream<AbiLayout.Fact> facts() {
        return AbiLayout.FACTS.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("facts")
    void modelMatchesTheStatedCLayout(AbiLayout.Fact f) {
        assertEquals(f.stated(), f.model(), () -> String.format("%s: stated %#x, model %#x", f.name(), f.stated(),
                f.model()));
    }

    @Test
    void ioctlHelperEncodesDirectionSizeTypeAndNumber() {
        assertEquals(0x4020AED7L, Ioctl.iow(0xAE, 0xd7, 32));
        assertEquals(0xC020AED7L, Ioctl.iowr(0xAE, 0xd7, 32));
        assertEquals(0x8020AEAFL, Ioctl.ior(0xAE, 0xaf, 32));
        assertEquals(0xAE80L, Ioctl.io(0xAE, 0x80));
        long r = KvmUapi.KVM_CREATE_GUEST_MEMFD;
        assertEquals(Ioctl.READ | Ioctl.WRITE, Ioctl.dir(r));
        assertEquals(64, Ioctl.size(r));
        assertEquals(0xAE, Ioctl.type(r));
        assertEquals(0xd4, Ioctl.nr(r));
    }

    @Test
    void profilesUseTheirOwnPopulateRequest() {
        assertEquals(0x4020AED7L, AbiProfile.V12.populateRequest());
        assertEquals(0xC020AED7L, AbiProfile.POPULATE_PROGRESS.populateRequest());
        assertEquals(0x4020AED7L, AbiProfile.PSCI_USER.populateRequest());
        assertEquals(AbiProfile.PSCI_USER, AbiProfile.byId("PSCI-User"));
    }
}
