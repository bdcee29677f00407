package io.github.bndoctor.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A JUnit 5 test with {@link BnDoctorExtension}: declare a {@link BnDoctorRun} parameter, hand it
 * the network before {@code fit}, and the test fails on a failed BN gate and leaves its report in
 * {@code target/bn-doctor-reports/<class>/<method>.html} and {@code .json}.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Test
@ExtendWith(BnDoctorExtension.class)
public @interface BnDoctorTest {
}
