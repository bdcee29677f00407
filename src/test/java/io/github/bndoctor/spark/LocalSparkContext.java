package io.github.bndoctor.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of the spark-leg test classes: one real {@code local[2]} context per class. */
abstract class LocalSparkContext {
    /** The class's context. */
    static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = LocalSpark.start(2);
    }

    @AfterAll
    static void stopSpark() {
        sc.stop();
        sc = null;
    }
}
