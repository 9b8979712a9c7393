package dev.unmask.media.dataset;

import dev.unmask.core.UserError;
import java.util.Locale;

/** The dataset layouts {@code unmask extract} reads, by their command-line names. */
public enum DatasetKind {
    FFPP("ffpp"), CELEBDF("celebdf"), DFDC("dfdc"), FOLDERS("folders");

    private final String cliName;

    DatasetKind(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static DatasetKind parse(String s) {
        for (DatasetKind k : values()) {
            if (k.cliName.equals(s.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new UserError("unknown dataset layout '" + s + "'; expected ffpp, celebdf, dfdc or folders");
    }
}
