package dev.unmask.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ByteSizesTest {
    @Test
    void binaryUnitsWithOneDecimal() {
        assertThat(ByteSizes.format(0)).isEqualTo("0 B");
        assertThat(ByteSizes.format(1023)).isEqualTo("1023 B");
        assertThat(ByteSizes.format(1024)).isEqualTo("1.0 KiB");
        assertThat(ByteSizes.format(1536)).isEqualTo("1.5 KiB");
        assertThat(ByteSizes.format(15L << 20)).isEqualTo("15.0 MiB");
        assertThat(ByteSizes.format((9L << 30) / 2)).isEqualTo("4.5 GiB");
        assertThat(ByteSizes.format(Long.MAX_VALUE)).isEqualTo("8.0 EiB");
    }

    @Test
    void aCountJustUnderTheNextUnitIsShownInIt() {
        assertThat(ByteSizes.format((1L << 20) - 1)).isEqualTo("1.0 MiB");
        assertThat(ByteSizes.format(1023 * 1024 + 973)).as("1023.95 KiB").isEqualTo("1.0 MiB");
        assertThat(ByteSizes.format(1023 * 1024 + 972)).as("1023.949 KiB").isEqualTo("1023.9 KiB");
    }

    @Test
    void anUnknownCountIsAQuestionMark() {
        assertThat(ByteSizes.format(-1)).isEqualTo("?");
    }
}
