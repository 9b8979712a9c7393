package dev.unmask.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The direction the code flows in (media -> faces -> tensors -> backbone -> head -> scores ->
 * report), checked on the compiled classes of every module: no package cycles, and no package
 * reaches one of a higher layer. A new arrow that runs backwards fails here with the classes
 * that make it.
 */
class LayeringTest {
    /**
     * Layers from the bottom up; a package may use its own layer and those below. Every package
     * is named (a new one fails {@link #everyPackageHasALayer} until it is given its place).
     */
    static final List<String[]> LAYERS = List.of(
            new String[] {"dev.unmask.core", "dev.unmask.core.io"},
            new String[] {"dev.unmask.core.progress", "dev.unmask.core.metrics", "dev.unmask.core.image", "dev.unmask.core.tensor",
                "dev.unmask.core.checkpoint", "dev.unmask.core.hub"},
            new String[] {"dev.unmask.core.data", "dev.unmask.core.vit.layers", "dev.unmask.core.convnet", "dev.unmask.core.cache"},
            new String[] {"dev.unmask.core.vit"},
            new String[] {"dev.unmask.core.model"},
            new String[] {"dev.unmask.core.head"},
            new String[] {"dev.unmask.core.detector"},
            new String[] {"dev.unmask.core.train", "dev.unmask.core.explain"},
            new String[] {"dev.unmask.media.pixels"},
            new String[] {"dev.unmask.media.face", "dev.unmask.media.video", "dev.unmask.media.dataset"},
            new String[] {"dev.unmask.media.crop"},
            new String[] {"dev.unmask.media"},
            new String[] {"dev.unmask.media.render", "dev.unmask.media.demo"},
            new String[] {"dev.unmask.media.detect", "dev.unmask.media.extract"},
            new String[] {"dev.unmask.api"},
            new String[] {"dev.unmask.examples", "dev.unmask.server", "dev.unmask.spark"},
            new String[] {"dev.unmask.cli"});

    static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        // Main code only: test code may reach across layers to set things up.
        ImportOption mainOnly = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");
        classes = new ClassFileImporter().withImportOption(mainOnly).importPackages("dev.unmask");
        assertThat(classes.stream().map(c -> c.getPackageName()).distinct().count()).as("packages imported").isGreaterThan(25);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.unmask.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void noPackageReachesAHigherLayer() {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < LAYERS.size(); i++) {
            List<String> higher = new ArrayList<>();
            for (int j = i + 1; j < LAYERS.size(); j++) {
                higher.addAll(Arrays.asList(LAYERS.get(j)));
            }
            if (higher.isEmpty()) {
                continue;
            }
            ArchRule rule = noClasses().that().resideInAnyPackage(LAYERS.get(i)).should().dependOnClassesThat()
                    .resideInAnyPackage(higher.toArray(String[]::new)).allowEmptyShould(true);
            EvaluationResult result = rule.evaluate(classes);
            if (result.hasViolation()) {
                failures.addAll(result.getFailureReport().getDetails());
            }
        }
        assertThat(failures).as("arrows that run backwards").isEmpty();
    }

    @Test
    void theArrowsThatRanBackwardsStayGone() {
        noClasses().that().resideInAPackage("dev.unmask.core.explain").should().dependOnClassesThat().resideInAPackage("dev.unmask.core.train")
                .check(classes);
        noClasses().that().resideInAPackage("dev.unmask.media.face").should().dependOnClassesThat().resideInAPackage("dev.unmask.core.model")
                .check(classes);
        noClasses().that().resideInAPackage("dev.unmask.core.vit..").should().dependOnClassesThat().resideInAPackage("dev.unmask.core.model")
                .check(classes);
        noClasses().that().resideInAPackage("dev.unmask.core.progress").should().dependOnClassesThat().resideInAPackage("dev.unmask.core.hub")
                .check(classes);
    }

    /**
     * DJL's {@code NDArray.mul(Number)} and every other array method taking a Number wrap the
     * number in a Java buffer that autograd may still read after DJL has let it go (a resumed
     * training run diverged through it); {@code dev.unmask.core.tensor.Scalar} is the way.
     */
    @Test
    void noArrayArithmeticWithAWrappedNumber() {
        DescribedPredicate<JavaMethodCall> numberOperand = DescribedPredicate.describe("an NDArray method taking a java.lang.Number",
                call -> call.getTarget().getOwner().isAssignableTo(ai.djl.ndarray.NDArray.class)
                        && call.getTarget().getRawParameterTypes().stream().anyMatch(t -> t.isEquivalentTo(Number.class)));
        noClasses().should().callMethodWhere(numberOperand).check(classes);
    }

    @Test
    void everyPackageHasALayer() {
        List<String> named = LAYERS.stream().flatMap(Arrays::stream).toList();
        List<String> missing = classes.stream().map(c -> c.getPackageName()).distinct()
                .filter(p -> !named.contains(p))
                .filter(p -> !p.equals("dev.unmask")).sorted().toList();
        assertThat(missing).as("packages without a layer in LayeringTest.LAYERS").isEmpty();
    }
}
