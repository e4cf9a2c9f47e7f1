package dev.cca.vmm.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Recognises and parses guest images: ELF64 AArch64 executables (loaded at their physical addresses, started at
 * the entry point), Linux arm64 Image files (64-byte header with magic "ARM\x64", placed at RAM + text_offset),
 * and raw binaries (placed at the start of RAM). Every error names the file and the problem.
 */
public final class ImageLoader {
    private ImageLoader() {
    }

    private static final int EM_AARCH64 = 183;
    private static final int PT_LOAD = 1;
    private static final int ARM64_IMAGE_MAGIC = 0x644d5241; // "ARM\x64"

    /** The largest file cca reads into memory: a Java array's limit, less a little. */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64;
    /** The largest kernel a gzip-compressed image may decompress to. */
    public static final int MAX_DECOMPRESSED_BYTES = 1 << 30;

    /**
     * Reads a boot file whole. Only regular files are read: a FIFO, a socket or a device (/dev/zero) would block
     * or never end, so they are refused before any read, as are files larger than {@link #MAX_FILE_BYTES} and
     * files that do not fit in the Java heap.
     */
    public static byte[] readFile(Path path) throws ImageFormatException {
        String name = path.toString();
        try {
            if (Files.isDirectory(path)) {
                throw new ImageFormatException(name, "is a directory");
            }
            if (!Files.exists(path)) {
                throw new ImageFormatException(name, "no such file");
            }
            if (!Files.isRegularFile(path)) {
                throw new ImageFormatException(name, "is not a regular file (a FIFO, socket or device); "
                        + "give a file");
            }
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                throw new ImageFormatException(name, String.format(
                        "is %d bytes; cca loads files of up to %d bytes (2 GiB)", size, MAX_FILE_BYTES));
            }
            byte[] b;
            try {
                b = Files.readAllBytes(path);
            } catch (OutOfMemoryError e) {
                throw new ImageFormatException(name, String.format("is %d bytes, more than the Java heap can hold; "
                        + "give java a larger heap (CCA_JAVA_OPTS=-Xmx8g)", size));
            }
            if (b.length == 0) {
                throw new ImageFormatException(name, "file is empty");
            }
            return b;
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(name, "no such file");
        } catch (IOException e) {
            throw new ImageFormatException(name, "cannot be read: " + IoProblem.describe(e, path));
        }
    }

    /** Parses {@code bytes} (read from {@code name}) for a guest whose RAM starts at {@code ramBase}. */
    public static LoadedImage parse(String name, byte[] bytes, long ramBase) throws ImageFormatException {
        return parse(name, bytes, ramBase, ramBase);
    }

    /** As {@link #parse(String, byte[], long)}, placing (and starting) a raw binary at {@code rawLoadAddress}. */
    public static LoadedImage parse(String name, byte[] bytes, long ramBase, long rawLoadAddress)
            throws ImageFormatException {
        if (bytes.length == 0) {
            throw new ImageFormatException(name, "file is empty");
        }
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B) {
            // A gzip-compressed kernel (vmlinuz as some distributions ship it): decompress it, as QEMU does.
            // First count what it decompresses to, so that a gzip bomb is refused before memory is taken.
            long size = 0;
            try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                    new java.io.ByteArrayInputStream(bytes))) {
                byte[] sink = new byte[1 << 16];
                for (int n; (n = in.read(sink)) > 0 && size <= MAX_DECOMPRESSED_BYTES; ) {
                    size += n;
                }
            } catch (IOException e) {
                throw new ImageFormatException(name, "is gzip-compressed but cannot be decompressed: " + e.getMessage());
            }
            if (size > MAX_DECOMPRESSED_BYTES) {
                throw new ImageFormatException(name, String.format(
                        "is gzip-compressed and decompresses to more than %d bytes (1 GiB), the most cca loads",
                        MAX_DECOMPRESSED_BYTES));
            }
            try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                    new java.io.ByteArrayInputStream(bytes))) {
                bytes = in.readNBytes((int) size);
            } catch (OutOfMemoryError e) {
                throw new ImageFormatException(name, "is gzip-compressed and its content does not fit in the Java "
                        + "heap; give java a larger heap (CCA_JAVA_OPTS=-Xmx8g)");
            } catch (IOException e) {
                throw new ImageFormatException(name, "is gzip-compressed but cannot be decompressed: " + e.getMessage());
            }
            if (bytes.length == 0) {
                throw new ImageFormatException(name, "is gzip-compressed and empty");
            }
        }
        if (bytes.length >= 4 && bytes[0] == 0x7F && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F') {
            return parseElf(name, bytes);
        }
        if (bytes.length >= 0x3C && ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(0x38) == ARM64_IMAGE_MAGIC) {
            return parseArm64Image(name, bytes, ramBase);
        }
        if ((rawLoadAddress & 3) != 0) {
            throw new ImageFormatException(name, String.format("load address %#x is not 4-byte aligned", rawLoadAddress));
        }
        return new LoadedImage("raw binary", List.of(new LoadedImage.Segment(rawLoadAddress, bytes, bytes.length)),
                rawLoadAddress);
    }

    private static LoadedImage parseElf(String name, byte[] b) throws ImageFormatException {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length < 64) {
            throw new ImageFormatException(name, String.format("truncated: an ELF64 header needs 64 bytes, the file has %d", b.length));
        }
        if (b[4] != 2) {
            throw new ImageFormatException(name, "not a 64-bit ELF file (EI_CLASS " + b[4] + ")");
        }
        if (b[5] != 1) {
            throw new ImageFormatException(name, "not a little-endian ELF file");
        }
        int machine = bb.getShort(18) & 0xFFFF;
        if (machine != EM_AARCH64) {
            throw new ImageFormatException(name, "not an AArch64 ELF file (e_machine " + machine + ")");
        }
        long entry = bb.getLong(24);
        long phoff = bb.getLong(32);
        int phentsize = bb.getShort(54) & 0xFFFF;
        int phnum = bb.getShort(56) & 0xFFFF;
        if (phnum == 0) {
            throw new ImageFormatException(name, "ELF file has no program headers");
        }
        if (phentsize < 56) {
            throw new ImageFormatException(name, "bad ELF program header size " + phentsize);
        }
        if (phoff < 0 || phoff > b.length || (long) phnum * phentsize > b.length - phoff) {
            throw new ImageFormatException(name, String.format(
                    "truncated: program headers need %#x bytes at offset %#x but the file has %#x bytes",
                    (long) phnum * phentsize, phoff, b.length));
        }
        List<LoadedImage.Segment> segs = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (bb.getInt(ph) != PT_LOAD) {
                continue;
            }
            long offset = bb.getLong(ph + 8);
            long paddr = bb.getLong(ph + 24);
            long filesz = bb.getLong(ph + 32);
            long memsz = bb.getLong(ph + 40);
            if (filesz < 0 || memsz < filesz || offset < 0) {
                throw new ImageFormatException(name, String.format("program header %d: bad sizes (filesz %#x, memsz %#x)", i, filesz, memsz));
            }
            if (offset > b.length || filesz > b.length - offset) {
                throw new ImageFormatException(name, String.format(
                        "truncated: segment %d needs %#x bytes at offset %#x but the file has %#x bytes",
                        i, filesz, offset, b.length));
            }
            if (filesz > Integer.MAX_VALUE) {
                throw new ImageFormatException(name, "segment " + i + " is too large");
            }
            byte[] data = new byte[(int) filesz];
            System.arraycopy(b, (int) offset, data, 0, (int) filesz);
            segs.add(new LoadedImage.Segment(paddr, data, memsz));
        }
        if (segs.isEmpty()) {
            throw new ImageFormatException(name, "ELF file has no loadable segment");
        }
        segs.sort(Comparator.comparingLong(LoadedImage.Segment::gpa));
        return new LoadedImage("ELF", segs, entry);
    }

    /** Documentation/arch/arm64/booting.rst: text_offset at 8, image_size at 16, flags at 24. */
    private static LoadedImage parseArm64Image(String name, byte[] b, long ramBase) throws ImageFormatException {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length < 64) {
            throw new ImageFormatException(name, "truncated: the arm64 Image header needs 64 bytes");
        }
        long textOffset = bb.getLong(8);
        long imageSize = bb.getLong(16);
        long flags = bb.getLong(24);
        if ((flags & 1) != 0) {
            throw new ImageFormatException(name, "is a big-endian arm64 Image (header flags bit 0); only little-endian "
                    + "kernels can run");
        }
        if (textOffset < 0 || textOffset >= (1L << 32) || (textOffset & 0xFFF) != 0) {
            throw new ImageFormatException(name, String.format("arm64 Image header has a bad text_offset %#x", textOffset));
        }
        if (imageSize == 0) {
            textOffset = 0x80000; // pre-3.17 kernels: image_size 0 means text_offset 0x80000
        }
        if (imageSize != 0 && imageSize < b.length) {
            throw new ImageFormatException(name, String.format(
                    "arm64 Image header says image_size %#x, smaller than the file (%#x bytes)", imageSize, b.length));
        }
        long mem = Math.max(imageSize, b.length);
        // booting.rst: placed text_offset bytes above a 2 MiB aligned base, here the start of RAM.
        long load = ((ramBase + (2L << 20) - 1) & -(2L << 20)) + textOffset;
        return new LoadedImage("arm64 Image", List.of(new LoadedImage.Segment(load, b, mem)), load);
    }
}
