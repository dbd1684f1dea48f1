package ssmreach.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import ssmreach.local.LocalAws;

/**
 * The Auto Scaling burst of {@code bench/run --burst}, small (12 instances in 5 seconds, 2 new VPCs,
 * 3 CreateSubnet at once; the harder case, where the burst also creates the endpoints): every
 * instance gets one profile and is Online, no endpoint is duplicated, no execution fails, and EC2's documented
 * buckets refused none of ssm-reach's calls. Rates and times are the benchmark's to report
 * (BENCHMARKS.md), never asserted here: the machine is shared.
 */
class BurstSmokeTest {
    private static LocalAws aws;

    @BeforeAll
    static void start() {
        aws = LocalAws.start(Path.of(System.getProperty("bench.target", "target")).resolve("burst-smoke-moto.log").toAbsolutePath());
    }

    @AfterAll
    static void stop() {
        aws.close();
    }

    @Test
    void aSmallBurstIntoNewVpcsEndsOnlineWithoutDuplicatesFailuresOrThrottling() throws Exception {
        JsonNode run = new InstanceBurst(aws).run(new InstanceBurst.Options(12, 5, 2, 4, 3, 0.25, false));

        assertEquals(12, run.path("online").asInt(), () -> BurstMain.table(run));
        assertEquals(12, run.path("secondsToProfile").path("count").asInt(), "every instance got a profile");
        assertEquals(0, run.path("duplicateAssociations").asInt());
        assertEquals(0, run.path("duplicateEndpoints").asInt());
        assertEquals(0, run.path("failedExecutions").asInt(), () -> BurstMain.table(run));
        assertEquals(0, run.path("throttled").asInt(), () -> "EC2 would have throttled ssm-reach: " + BurstMain.table(run));
        assertTrue(run.path("batchExecutions").asInt() >= 1 && run.path("vpcExecutions").asInt() >= 2, () -> BurstMain.table(run));
        assertTrue(run.path("apis").has("AssociateIamInstanceProfile"));
    }
}
