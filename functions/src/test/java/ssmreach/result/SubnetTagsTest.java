package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static ssmreach.result.ResultFixtures.CLOCK;
import static ssmreach.result.ResultFixtures.isolated;
import static ssmreach.result.ResultFixtures.publicSubnet;
import static ssmreach.result.ResultFixtures.settings;
import static ssmreach.result.ResultFixtures.withStatus;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.Result;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.WorkflowState;

class SubnetTagsTest {
    private final ResultBuilder builder = new ResultBuilder(settings(Map.of()), CLOCK);

    private static final Map<String, String> REACHABLE = Map.of("ssm-reach:route", "isolated", "ssm-reach:status", "reachable",
            "ssm-reach:endpoints", "ec2messages,s3,ssm,ssmmessages");

    @Test
    void remediatedSubnetIsTaggedReachableWithItsAvailableEndpoints() {
        Result result = builder.build(ResultFixtures.remediated());

        assertEquals(REACHABLE, SubnetTags.changes(isolated(Map.of()), result));
    }

    @Test
    void compliantSubnetIsReachableToo() {
        Result result = builder.build(ResultFixtures.compliant());

        assertEquals("reachable", SubnetTags.changes(isolated(Map.of()), result).get("ssm-reach:status"));
    }

    @Test
    void incompleteSubnetSaysSoAndListsOnlyAvailableEndpoints() {
        WorkflowState base = ResultFixtures.remediated();
        WorkflowState state = ResultFixtures.state(base.target(), base.classification(), base.vpc(), new EndpointsReport(
                List.of(ResultFixtures.endpoint("vpce-0ssm", "ssm", "available"), ResultFixtures.endpoint("vpce-0msg", "ssmmessages", "pending"),
                        ResultFixtures.endpoint("vpce-0ssm2", "ssm", "available")),
                base.endpoints().actions(), List.of(), false, false), null);
        Result result = builder.build(state);

        Map<String, String> tags = SubnetTags.changes(isolated(Map.of()), result);

        assertEquals("incomplete", tags.get("ssm-reach:status"));
        assertEquals("ssm", tags.get("ssm-reach:endpoints"), "available only, sorted, each service once");
    }

    @Test
    void outOfScopeSubnetGetsRouteAndStatusOnly() {
        Result result = builder.build(ResultFixtures.remediated());

        assertEquals(Map.of("ssm-reach:route", "public", "ssm-reach:status", "out-of-scope"),
                SubnetTags.changes(publicSubnet(Map.of()), result));
    }

    @Test
    void tagsAlreadyInPlaceAreNotWrittenAgain() {
        Result result = builder.build(ResultFixtures.remediated());

        assertEquals(Map.of(), SubnetTags.changes(isolated(REACHABLE), result));
    }

    @Test
    void onlyTheTagsThatDifferAreWritten() {
        Result result = builder.build(ResultFixtures.remediated());
        Map<String, String> before = Map.of("ssm-reach:route", "isolated", "ssm-reach:status", "incomplete",
                "ssm-reach:endpoints", "ec2messages,s3,ssm,ssmmessages");

        assertEquals(Map.of("ssm-reach:status", "reachable"), SubnetTags.changes(isolated(before), result));
    }

    @Test
    void optedOutAndGoneSubnetsGetNoTags() {
        Result result = builder.build(ResultFixtures.remediated());

        assertEquals(Map.of(), SubnetTags.changes(withStatus(isolated(Map.of()), SubnetStatus.OPTED_OUT), result));
        assertEquals(Map.of(), SubnetTags.changes(withStatus(isolated(Map.of()), SubnetStatus.GONE), result));
    }
}
