package io.github.bndoctor.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** A real local Spark context for the spark leg: {@code local[N]}, no UI, one attempt per task. */
final class LocalSpark {
    private LocalSpark() {
    }

    /**
     * @param cores executor threads
     * @return a started context; stop it after use (one per JVM at a time)
     */
    static JavaSparkContext start(int cores) {
        SparkConf conf = new SparkConf().setMaster("local[" + cores + "]").setAppName("bn-doctor-test")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "2");
        return new JavaSparkContext(conf);
    }
}
