package dev.unmask.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The licence a Hub model card's front matter states, as {@code pull} records it for a detector. */
class ModelCardsTest {

    @Test
    void readsTheLicenseOfTheFrontMatter() {
        assertThat(ModelCards.license("---\nlibrary_name: transformers\nlicense: mit\n---\n# Card\nlicense: apache-2.0\n")).hasValue("mit");
        assertThat(ModelCards.license("---\r\nlicense: \"cc-by-nc-4.0\"\r\n---\r\n")).hasValue("cc-by-nc-4.0");
        assertThat(ModelCards.license("---\nlicense: other\nlicense_name: dinov3-license\n---\n")).hasValue("dinov3-license");
    }

    @Test
    void saysNothingWhereTheCardStatesNothing() {
        assertThat(ModelCards.license("# A card without front matter\nlicense: mit\n")).isEmpty();
        assertThat(ModelCards.license("---\ntags:\n- vision\n---\n")).isEmpty();
        assertThat(ModelCards.license("---\nlicense: mit\n")).as("front matter never closed").isEmpty();
        assertThat(ModelCards.license("---\nlicense: [mit, apache-2.0]\n---\n")).as("not one plain id").isEmpty();
    }
}
