package dev.cca.vmm;

import picocli.CommandLine;

import java.util.Locale;

/** Memory sizes as kvmtool and QEMU take them: a plain number is MiB; suffixes K, M, G (optionally "iB"/"B"). */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        long mult = 1L << 20;
        if (v.endsWith("IB")) {
            v = v.substring(0, v.length() - 2);
        } else if (v.endsWith("B") && v.length() > 1 && Character.isLetter(v.charAt(v.length() - 2))) {
            v = v.substring(0, v.length() - 1);
        }
        if (v.endsWith("K")) {
            mult = 1L << 10;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("M")) {
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("G")) {
            mult = 1L << 30;
            v = v.substring(0, v.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a memory size (e.g. 128, 512M, 2G)");
        }
        if (n <= 0 || n > (64L << 30) / mult) {
            throw new CommandLine.TypeConversionException("memory size '" + value + "' is out of range (1 MiB .. 64 GiB)");
        }
        long bytes = n * mult;
        if ((bytes & 0xFFFFF) != 0) {
            throw new CommandLine.TypeConversionException("memory size '" + value + "' is not a whole number of MiB");
        }
        return bytes;
    }
}
