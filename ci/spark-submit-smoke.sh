#!/usr/bin/env bash
# spark-submit smoke test: runs Spark's own SparkSubmit (what the spark-submit script launches) with
# Spark's jars on the class path and the shaded command-line jar as the application, on local[2].
# Needs target/bn-doctor.jar (mvn package) and target/test-classes (the spark leg) for the fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/spark-smoke
rm -rf "$out" && mkdir -p "$out"
# Spark's own class path: spark-core at the pom's version, every dependency at the version Spark's
# build pins (spark-parent imported as a BOM: Jackson 2.15, log4j 2 binding), as a Spark
# installation's jars/ directory holds them
spark_version=$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' pom.xml)
scala_version=$(sed -n 's:.*<scala.binary.version>\(.*\)</scala.binary.version>.*:\1:p' pom.xml)
cat > "$out/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>smoke</groupId><artifactId>spark-installation</artifactId><version>1</version>
  <dependencyManagement><dependencies><dependency><groupId>org.apache.spark</groupId>
    <artifactId>spark-parent_$scala_version</artifactId><version>$spark_version</version><type>pom</type>
    <scope>import</scope></dependency></dependencies></dependencyManagement>
  <dependencies><dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_$scala_version</artifactId>
    <version>$spark_version</version></dependency></dependencies></project>
POM
mvn -B -q -Dstyle.color=never -f "$out/pom.xml" dependency:build-classpath -Dmdep.outputFile=spark.classpath
mvn -B -q -o -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile="$out/test.classpath"
# the JVM flags Spark needs on Java 17, as the pom gives them to surefire
opens=$(sed -n 's:.*<spark.addOpens>\(.*\)</spark.addOpens>.*:\1:p' pom.xml)
test -n "$opens" || { echo "spark.addOpens not found in pom.xml"; exit 1; }
java -cp "target/test-classes:target/classes:$(cat "$out/test.classpath")" io.github.bndoctor.spark.SparkSmokeFixture "$out"
submit() {
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=1 java $opens -cp "$(cat "$out/spark.classpath")" org.apache.spark.deploy.SparkSubmit \
    --class io.github.bndoctor.spark.SparkRecalibrate --master 'local[2]' --conf spark.ui.enabled=false \
    target/bn-doctor.jar "$@"
}
submit --model "$out/in.zip" --data "$out/shards" --out "$out/out.zip" --batch 8 > "$out/ok.log" 2>&1 \
  || { echo "spark-submit failed:"; tail -20 "$out/ok.log"; exit 1; }
test -s "$out/out.zip" || { echo "spark-submit wrote no model"; exit 1; }
grep '^recalibrated' "$out/ok.log"
set +e
submit --model "$out/in.zip" --data "$out/missing" --out "$out/bad.zip" > "$out/bad.log" 2>&1
code=$?
set -e
test "$code" -eq 1 || { echo "expected exit 1 for a missing data directory, got $code"; tail -5 "$out/bad.log"; exit 1; }
test ! -e "$out/bad.zip" || { echo "a failed run left $out/bad.zip"; exit 1; }
echo "missing data directory -> exit 1: $(grep '^bn-doctor: error' "$out/bad.log")"
