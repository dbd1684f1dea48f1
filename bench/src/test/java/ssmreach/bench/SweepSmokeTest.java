package ssmreach.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import ssmreach.local.LocalAws;

/**
 * The sweep of {@code bench/run --sweep}, small and unpaced (ApiRateShare 0, else the endpoint
 * calls alone take a minute; EC2's buckets may then refuse some of two VPCs' endpoint calls at
 * once, which the SDK retries and the call counts do not count again): an account of one VPC of 1
 * isolated subnet, and one of two VPCs of 3 isolated subnets, swept twice. Every VPC is taken on
 * once, both at a time, its endpoints neither duplicated nor missing; a VPC of 3 subnets costs the
 * calls and transitions of a VPC of 1; a repeat changes nothing. Times are the benchmark's to
 * report (BENCHMARKS.md), never asserted here: the machine is shared.
 */
class SweepSmokeTest {
    private static LocalAws aws;

    @BeforeAll
    static void start() {
        aws = LocalAws.start(Path.of(System.getProperty("bench.target", "target")).resolve("sweep-smoke-moto.log").toAbsolutePath());
    }

    @AfterAll
    static void stop() {
        aws.close();
    }

    @Test
    void aSweepTakesOnEveryVpcOnceTwoAtATimeAtTheSameCostPerVpcWhateverItsSubnets() {
        RegionSweep sweep = new RegionSweep(aws);
        RegionSweep.Options unpaced = new RegionSweep.Options(0, 2);

        JsonNode one = sweep.run(new RegionSweep.Account("1 VPC of 1 isolated subnet", 1, 1, false), unpaced, 1).get(0);
        ArrayNode two = sweep.run(new RegionSweep.Account("2 VPCs of 3 isolated subnets", 2, 3, false), unpaced, 2);

        JsonNode twoFirst = two.get(0);
        JsonNode twoRepeat = two.get(1);
        for (JsonNode run : List.of(one, twoFirst, twoRepeat)) {
            int vpcs = run.path("vpcs").asInt();
            boolean first = run.path("pass").asText().equals(RegionSweep.FIRST);
            String which = run.toString();
            assertEquals("SUCCEEDED", run.path("status").asText(), which);
            assertEquals(0, run.path("failedExecutions").asInt(), which);
            assertEquals(vpcs, run.path("vpcExecutions").asInt(), which);
            assertEquals(vpcs, run.path("mostVpcExecutionsAtOnce").asInt(), "as many at a time as the concurrency (2): " + which);
            assertEquals(vpcs, run.path("total").path("vpcs").asInt(), which);
            assertEquals(1, run.path("total").path("skipped").asInt(), "moto's default VPC, opted out: " + which);
            assertEquals(Map.of(first ? "remediated" : "compliant", vpcs), counts(run.path("total").path("outcomes")), which);
            assertEquals(0, run.path("duplicateEndpoints").asInt(), which);
            assertEquals(0, run.path("missingEndpoints").asInt(), which);
            assertEquals(0, run.path("uncoveredZones").asInt(), which);
        }
        assertEquals(0, twoRepeat.path("mutatingCalls").asInt(), "a repeat changes nothing: " + twoRepeat);
        // The sweep's own: one DescribeVpcs for the page, the Region report's PutEvents and Publish, its states but one per VPC.
        // Each VPC's execution then costs the same, with 3 subnets as with 1.
        String both = one + "\n" + twoFirst;
        assertEquals(2 * (one.path("ec2CallsOutsideWaits").asInt() - 1) + 1, twoFirst.path("ec2CallsOutsideWaits").asInt(), both);
        assertEquals(2 * (one.path("otherCalls").asInt() - 2) + 2, twoFirst.path("otherCalls").asInt(), both);
        assertEquals(2 * one.path("vpcExecutionsHappyPathTransitions").asInt(), twoFirst.path("vpcExecutionsHappyPathTransitions").asInt(), both);
        assertEquals(one.path("happyPathTransitions").asInt() - one.path("vpcExecutionsHappyPathTransitions").asInt() + 1,
                twoFirst.path("happyPathTransitions").asInt() - twoFirst.path("vpcExecutionsHappyPathTransitions").asInt(),
                "the sweep's own states: the same, and the Map's one more per VPC: " + both);
    }

    private static Map<String, Integer> counts(JsonNode node) {
        Map<String, Integer> counts = new TreeMap<>();
        node.fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
        return counts;
    }
}
