package dev.cca.vmm.image;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Linux arm64 Image boot protocol (Documentation/arch/arm64/booting.rst) and raw binaries. */
class Arm64ImageTest {
    private static final long RAM = 0x4000_0000L;

    private static byte[] image(long textOffset, long imageSize, long flags, int length) {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x14000000); // code0: b .
        b.putLong(8, textOffset);
        b.putLong(16, imageSize);
        b.putLong(24, flags);
        b.putInt(0x38, 0x644d5241); // "ARM\x64"
        return b.array();
    }

    @Test
    void imageIsPlacedTextOffsetAboveTheTwoMebibyteAlignedRamBaseAndStartedThere() throws Exception {
        LoadedImage li = ImageLoader.parse("Image", image(0x80000, 0x20_0000, 0b1010, 4096), RAM);
        assertEquals("arm64 Image", li.format());
        assertEquals(RAM + 0x80000, li.entry());
        assertEquals(RAM + 0x80000, li.segments().get(0).gpa());
        assertEquals(0x20_0000, li.segments().get(0).memSize(), "image_size covers the kernel's BSS");
    }

    @Test
    void zeroImageSizeMeansTheOldTextOffset() throws Exception {
        LoadedImage li = ImageLoader.parse("Image", image(0, 0, 0, 4096), RAM);
        assertEquals(RAM + 0x80000, li.entry());
    }

    @Test
    void bigEndianKernelIsRejectedWithTheReason() {
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> ImageLoader.parse("be-Image", image(0, 0x10000, 1, 4096), RAM));
        assertTrue(e.getMessage().contains("big-endian"), e.getMessage());
    }

    @Test
    void rawBinaryGoesToItsLoadAddress() throws Exception {
        LoadedImage li = ImageLoader.parse("raw.bin", new byte[] {0, 0, 0, 0x14}, RAM, RAM + 0x20_0000);
        assertEquals(RAM + 0x20_0000, li.entry());
        assertEquals(RAM + 0x20_0000, li.segments().get(0).gpa());
        assertThrows(ImageFormatException.class, () -> ImageLoader.parse("raw.bin", new byte[4], RAM, RAM + 2));
    }
}
