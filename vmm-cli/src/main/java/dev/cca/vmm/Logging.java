package dev.cca.vmm;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Log levels for -v/-vv: quiet (warnings) by default, INFO with -v, DEBUG with -vv. */
final class Logging {
    private Logging() {
    }

    static void configure(int verbosity) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(verbosity >= 2 ? Level.DEBUG : verbosity == 1 ? Level.INFO : Level.WARN);
    }
}
