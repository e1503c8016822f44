# Shared by bench/run.sh and bench/cluster.sh (sourced): how Duplex, the load generator and Payara
# Micro are built or fetched for a run. Expects ROOT, BENCH, WORK and LOG, and a log function.

PAYARA_VERSION=6.2025.10
PAYARA_JAR="$HOME/.m2/repository/fish/payara/extras/payara-micro/$PAYARA_VERSION/payara-micro-$PAYARA_VERSION.jar"
LOADGEN_CP="$BENCH/loadgen/target/duplex-loadgen-1.0.0.jar:$BENCH/loadgen/target/lib/HdrHistogram-2.2.2.jar"

# Duplex as the README runs it: the JVM options of the payara-micro plugin in pom.xml, read from
# there so the bench cannot drift from the documented run command.
readme_java_opts() {
    sed -n '/<javaCommandLineOptions>/,/<\/javaCommandLineOptions>/s:.*<value>\(.*\)</value>.*:\1:p' "$ROOT/pom.xml" | tr '\n' ' ' | sed 's/ $//'
}

# Builds the WAR from a copy of the working tree in $WORK/src (target/ is never touched) into
# $WORK/duplex.war, then the load generator, and makes sure the Payara Micro jar is there.
build_bench() {
    log "building the WAR from $ROOT (copied to $WORK/src)"
    rm -rf "$WORK/src"
    mkdir -p "$WORK/src"
    cp -r "$ROOT/pom.xml" "$ROOT/src" "$ROOT/.mvn" "$ROOT/webapp" "$WORK/src/"
    [ -f "$ROOT/arquillian.xml" ] && cp "$ROOT/arquillian.xml" "$WORK/src/"
    # Tests are not compiled: the bench needs only the WAR, whatever state the test tree is in.
    (cd "$WORK/src" && timeout 600 mvn -q -Dmaven.test.skip=true package) >>"$LOG" 2>&1
    cp "$WORK/src/target/duplex.war" "$WORK/duplex.war"
    log "building the load generator"
    (cd "$ROOT" && timeout 600 mvn -q -f bench/loadgen/pom.xml package) >>"$LOG" 2>&1
    if [ ! -f "$PAYARA_JAR" ]; then
        (cd "$ROOT" && timeout 600 mvn -q dependency:get -Dartifact=fish.payara.extras:payara-micro:$PAYARA_VERSION) >>"$LOG" 2>&1
    fi
}
