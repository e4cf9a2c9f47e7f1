package dev.cca.vmm.abitest;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps what the host under test logs while a step that expects a failure runs. A kernel that refuses a call often
 * logs why ("RMI_REC_ENTER failed: RMI_ERROR_REC"); when the scenario asked for that refusal, the line is part of
 * the expected behaviour, not a warning to its user. While {@link #start(boolean) quiet}, every event that would be
 * logged is kept here instead (from every thread: vCPU threads too); the runner drops the lines when the step went
 * as expected and shows them with the failure when it did not. Outside quiet steps the log is untouched.
 */
final class LogCapture implements AutoCloseable {
    private final LoggerContext context;
    private final List<String> lines = new ArrayList<>();
    private volatile boolean quiet;
    private final TurboFilter filter = new TurboFilter() {
        @Override
        public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                Throwable t) {
            if (!quiet || format == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
                return FilterReply.NEUTRAL;
            }
            String msg = params == null ? format : MessageFormatter.arrayFormat(format, params).getMessage();
            String name = logger.getName().substring(logger.getName().lastIndexOf('.') + 1);
            synchronized (lines) {
                lines.add(level + " " + name + ": " + msg + (t != null ? " (" + t + ")" : ""));
            }
            return FilterReply.DENY;
        }
    };

    LogCapture() {
        context = LoggerFactory.getILoggerFactory() instanceof LoggerContext c ? c : null;
        if (context != null) {
            filter.setContext(context);
            filter.start();
            context.addTurboFilter(filter);
        }
    }

    /** Starts a step: with {@code quietStep} its log events are kept here, not logged. */
    void start(boolean quietStep) {
        quiet = quietStep;
    }

    /** Ends the step's capture (its lines stay until {@link #clear}). */
    void stop() {
        quiet = false;
    }

    /** Drops the lines kept (the step went as expected). */
    void clear() {
        synchronized (lines) {
            lines.clear();
        }
    }

    /** The lines kept since the last {@link #clear}. */
    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    @Override
    public void close() {
        quiet = false;
        if (context != null) {
            context.getTurboFilterList().remove(filter);
        }
    }
}
