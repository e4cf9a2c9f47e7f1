package dev.cca.vmm;

import picocli.CommandLine;

import java.time.Duration;
import java.util.Locale;

/**
 * Wall-time limits (--timeout): seconds, or a number with a unit (500ms, 30s, 2m, 1h, 1d). Only durations from
 * 1 ms to {@link #MAX} are accepted: a zero or negative limit would stop a run before it starts, and a larger one
 * would overflow the watchdog's nanosecond arithmetic and leave the run unbounded.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    public static final Duration MAX = Duration.ofDays(365);

    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        double unitMillis;
        if (v.endsWith("ms")) {
            unitMillis = 1;
            v = v.substring(0, v.length() - 2);
        } else if (v.endsWith("s")) {
            unitMillis = 1000;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("m")) {
            unitMillis = 60_000;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("h")) {
            unitMillis = 3_600_000;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("d")) {
            unitMillis = 86_400_000;
            v = v.substring(0, v.length() - 1);
        } else {
            unitMillis = 1000;
        }
        double n;
        // Only plain decimal numbers: Double.parseDouble would also take "1e3", "NaN", "Infinity" and "2d".
        if (!v.matches("[0-9]+(\\.[0-9]+)?|-[0-9.]+")) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 30, 30s, 500ms, "
                    + "2m, 1h)");
        }
        try {
            n = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 30, 30s, 500ms, "
                    + "2m, 1h)");
        }
        double millis = n * unitMillis;
        if (!(millis >= 1) || millis > MAX.toMillis()) {
            throw new CommandLine.TypeConversionException("duration '" + value + "' is out of range (1ms .. "
                    + MAX.toDays() + "d)");
        }
        return Duration.ofMillis((long) millis);
    }
}
