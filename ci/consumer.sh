#!/usr/bin/env bash
# bn-doctor in a user's own project: installs bn-doctor (library, sources, javadoc and command-line
# jars) into the local repository, checks that the library jar carries neither the bridge class in
# ND4J's package nor the command line's logging configuration, then in ci/consumer (a separate
# Maven project with its own DL4J and plain natives):
#   - fails if `mvn dependency:tree` shows a command-line-only artifact (picocli, slf4j-simple,
#     XChart, PDFBox), natives other than the consumer's (any onednn classifier), or a version of
#     slf4j-api / commons-compress other than DL4J 1.0.0-M2.1's own;
#   - fails unless the consumer's tests are, line for line, the code the README and docs/guide.md show;
#   - runs its tests (mvn -B test: a property test and a gate test), which must pass and leave
#     the gate test's reports in target/bn-doctor-reports/<class>/<method>.html and .json;
#   - runs its deliberately failing gate test alone, which Surefire must count as a failure (not an
#     error) with the gate's message.
# BN_DOCTOR_INSTALLED=1 reuses an installed artifact; MVN_ARGS (e.g. -o) goes to every Maven call.
set -euo pipefail
cd "$(dirname "$0")/.."
MVN_ARGS=${MVN_ARGS:-}
start=$(date +%s)
fail() { echo "CONSUMER LEG FAILED: $*" >&2; exit 1; }

version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
if [ "${BN_DOCTOR_INSTALLED:-}" != 1 ]; then
  echo "== mvn -B -q -DskipTests install (bn-doctor $version: library, sources, javadoc, cli)"
  mvn -B -q $MVN_ARGS -DskipTests install
fi
repo=$HOME/.m2/repository/io/github/bndoctor/bn-doctor/$version
for c in "" -sources -javadoc -cli; do
  [ -s "$repo/bn-doctor-$version$c.jar" ] || fail "bn-doctor-$version$c.jar is not installed in $repo"
done
echo "installed: $(cd "$repo" && ls bn-doctor-*.jar | tr '\n' ' ')"

echo "== the library jar: no org.nd4j bridge class, no simplelogger.properties"
if unzip -l "$repo/bn-doctor-$version.jar" | grep -E " org/nd4j/| simplelogger\.properties$"; then
  fail "the library jar carries what only the command-line jar may"
fi

echo "== the consumer's tests are the README's and the guide's examples"
# the java block after each marker line, compared with the test file minus its package line
check_example() {
  local doc=$1 file=$2
  local block
  block=$(awk -v m="<!-- ci/consumer: $file -->" '
    $0 == m {found = 1; next}
    found && /^```java$/ {inside = 1; next}
    inside && /^```$/ {exit}
    inside {print}' "$doc")
  [ -n "$block" ] || fail "$doc has no example marked <!-- ci/consumer: $file -->"
  diff <(printf '%s\n' "$block") <(tail -n +3 "ci/consumer/src/test/java/com/example/$file") \
    || fail "$doc's example differs from ci/consumer/src/test/java/com/example/$file"
  echo "$doc = $file"
}
check_example README.md MyNetworkBnGateTest.java
check_example docs/guide.md MovingMeanPropertyTest.java

cd ci/consumer
rm -rf target/bn-doctor-reports
echo "== consumer dependency tree"
mvn -B -q $MVN_ARGS org.apache.maven.plugins:maven-dependency-plugin:3.8.1:tree -DoutputFile=target/dependency-tree.txt
bad=$(grep -E "info\.picocli|org\.slf4j:slf4j-simple|org\.knowm\.xchart|pdfbox|VectorGraphics2D|:onednn|-onednn" \
  target/dependency-tree.txt || true)
[ -z "$bad" ] || fail "bn-doctor brings command-line-only artifacts or other natives: $bad"
grep -q "org.slf4j:slf4j-api:jar:1.7.21" target/dependency-tree.txt || fail "slf4j-api is not DL4J's 1.7.21"
grep -q "org.apache.commons:commons-compress:jar:1.21" target/dependency-tree.txt || fail "commons-compress is not DL4J's 1.21"
echo "clean: no picocli, slf4j-simple, XChart, PDFBox or oneDNN natives; slf4j-api 1.7.21, commons-compress 1.21"

echo "== consumer tests (mvn -B test)"
mvn -B $MVN_ARGS test
for f in html json; do
  [ -s "target/bn-doctor-reports/com.example.MyNetworkBnGateTest/inferenceModeKeepsUpWithTrainingMode.$f" ] \
    || fail "the gate test left no .$f report"
done

echo "== the deliberately failing gate test: a Surefire failure, not an error"
set +e
mvn -B -q $MVN_ARGS test -Dgate.groups=deliberately-failing -Dgate.excluded=none > target/deliberately-failing.log 2>&1
code=$?
set -e
[ "$code" -ne 0 ] || fail "the deliberately failing gate test passed"
xml=target/surefire-reports/TEST-com.example.DeliberatelyFailingGateTest.xml
[ -f "$xml" ] || fail "no Surefire report for the deliberately failing gate test"
grep -q 'tests="1" errors="0" skipped="0" failures="1"' "$xml" || fail "not counted as one failure: $(grep -m1 '<testsuite' "$xml")"
grep -q "bn-doctor gate FAILED at iteration" "$xml" || fail "the failure does not carry the gate's message"
[ -s target/bn-doctor-reports/com.example.DeliberatelyFailingGateTest/aLaggingEmaFailsTheGate.json ] \
  || fail "the failing gate test left no report"
echo "failure, not error: $(sed "s/&apos;/'/g" "$xml" | grep -o 'bn-doctor gate FAILED at iteration [0-9]*[^;]*;' | head -1)"
echo "consumer leg took $(( $(date +%s) - start )) s"
