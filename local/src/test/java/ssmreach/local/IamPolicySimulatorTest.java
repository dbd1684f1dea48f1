package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import ssmreach.local.IamPolicySimulator.Decision;
import ssmreach.local.IamPolicySimulator.Evaluation;
import ssmreach.local.IamPolicySimulator.Policy;

/** Policy evaluation without the emulator. */
class IamPolicySimulatorTest {

    @Test
    void wildcardsMatchActionsCaseInsensitivelyAndResourcesExactly() {
        assertTrue(IamPolicySimulator.wildcard("ssm:*", "ssm:UpdateInstanceInformation", true));
        assertTrue(IamPolicySimulator.wildcard("SSM:update*", "ssm:UpdateInstanceInformation", true));
        assertTrue(IamPolicySimulator.wildcard("ssmmessages:?penControlChannel", "ssmmessages:OpenControlChannel", true));
        assertFalse(IamPolicySimulator.wildcard("ssm:?pdate", "ssm:pdate", true), "? is exactly one character");
        assertFalse(IamPolicySimulator.wildcard("ssm:*", "ssmmessages:OpenControlChannel", true));
        assertFalse(IamPolicySimulator.wildcard("ssm:Get?", "ssm:GetMessages", true));
        assertTrue(IamPolicySimulator.wildcard("*", "*", false));
        assertFalse(IamPolicySimulator.wildcard("arn:aws:s3:::aws-ssm-*/*", "*", false), "the resource * is literal");
        assertFalse(IamPolicySimulator.wildcard("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", false));
        assertTrue(IamPolicySimulator.wildcard("a.b(c)", "a.b(c)", true), "regex characters are literal");
    }

    @Test
    void explicitDenyWinsThenAnyAllow() {
        Policy allow = policy("allow", """
                {"Statement": [{"Effect": "Allow", "Action": ["ssm:*", "ec2messages:*"], "Resource": "*"}]}""");
        Policy deny = policy("deny", """
                {"Statement": {"Effect": "Deny", "Action": "ssm:UpdateInstanceInformation", "Resource": "*"}}""");

        assertEquals(Decision.EXPLICIT_DENY, decide(List.of(allow, deny), "ssm:UpdateInstanceInformation"));
        assertEquals(Decision.EXPLICIT_DENY, decide(List.of(deny, allow), "ssm:UpdateInstanceInformation"));
        assertEquals(Decision.ALLOWED, decide(List.of(allow, deny), "ec2messages:GetMessages"));
        assertEquals(Decision.IMPLICIT_DENY, decide(List.of(allow, deny), "ssmmessages:OpenControlChannel"));
        assertEquals(List.of(deny), IamPolicySimulator.evaluate(List.of(allow, deny), "ssm:UpdateInstanceInformation", "*").matched());
    }

    @Test
    void notActionAndNotResource() {
        Policy allButIam = policy("p", """
                {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                               {"Effect": "Deny", "Action": "ssm:*", "NotResource": "arn:aws:ssm:*:*:document/*"}]}""");

        assertEquals(Decision.IMPLICIT_DENY, decide(List.of(allButIam), "iam:PassRole"));
        assertEquals(Decision.ALLOWED, decide(List.of(allButIam), "ec2messages:GetMessages"));
        assertEquals(Decision.EXPLICIT_DENY, decide(List.of(allButIam), "ssm:UpdateInstanceInformation"));
        assertEquals(Decision.ALLOWED, IamPolicySimulator.evaluate(List.of(allButIam), "ssm:GetDocument",
                "arn:aws:ssm:us-east-1:123456789012:document/x").decision());
    }

    @Test
    void statementsWithConditionsAreNotAppliedAndTheirKeysReported() {
        Policy conditional = policy("p", """
                {"Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*",
                                "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}},
                               {"Effect": "Deny", "Action": "ec2messages:*", "Resource": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                               {"Effect": "Allow", "Action": "ec2messages:*", "Resource": "*"}]}""");

        Evaluation ssm = IamPolicySimulator.evaluate(List.of(conditional), "ssm:UpdateInstanceInformation", "*");
        assertEquals(Decision.IMPLICIT_DENY, ssm.decision());
        assertEquals(Set.of("aws:SourceVpc"), ssm.missingContextKeys());
        assertEquals(Decision.ALLOWED, decide(List.of(conditional), "ec2messages:GetMessages"));
    }

    @Test
    void resourcesMustMatch() {
        Policy buckets = policy("p", """
                {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::aws-ssm-us-east-1/*"]}]}""");

        assertEquals(Decision.IMPLICIT_DENY, decide(List.of(buckets), "s3:GetObject"));
        assertEquals(Decision.ALLOWED, IamPolicySimulator.evaluate(List.of(buckets), "s3:GetObject",
                "arn:aws:s3:::aws-ssm-us-east-1/agent.tar.gz").decision());
        Policy noResource = policy("p", """
                {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}""");
        assertEquals(Decision.IMPLICIT_DENY, decide(List.of(noResource), "s3:GetObject"));
    }

    @Test
    void documentsAreReadUrlEncodedOrNot() {
        String json = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ssm:*\", \"Resource\": \"*\"}]}";
        String encoded = java.net.URLEncoder.encode(json, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");

        assertEquals(IamPolicySimulator.parse(json), IamPolicySimulator.parse(encoded));
    }

    @Test
    void formMembersAreReadInOrder() {
        assertEquals(List.of("a", "b"), IamPolicySimulator.members(
                java.util.Map.of("ActionNames.member.2", "b", "ActionNames.member.1", "a", "Other.member.1", "c"), "ActionNames"));
    }

    private static Decision decide(List<Policy> policies, String action) {
        return IamPolicySimulator.evaluate(policies, action, "*").decision();
    }

    private static Policy policy(String id, String json) {
        return new Policy(id, "role", IamPolicySimulator.parse(json));
    }
}
