#!/usr/bin/env bash
# spark-submit smoke test: runs Spark's own SparkSubmit (what the spark-submit script launches) with
# Spark's jars on the class path and the shaded command-line jar as the application, on local[2].
# Needs target/bn-doctor.jar (mvn package) and target/test-classes (the spark leg) for the fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/spark-smoke
rm -rf "$out" && mkdir -p "$out"
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile="$out/spark.classpath"
test_cp=$(mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
opens=$(mvn -B -q -o help:evaluate -Dexpression=spark.addOpens -DforceStdout)
java -cp "target/test-classes:target/classes:$test_cp" io.github.bndoctor.spark.SparkSmokeFixture "$out"
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
