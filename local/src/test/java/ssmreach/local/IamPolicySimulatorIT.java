package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.EvaluationResult;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.PolicyEvaluationDecisionType;
import software.amazon.awssdk.services.iam.model.PolicySourceType;
import ssmreach.testing.LocalAwsExtension;

/** SimulatePrincipalPolicy through the SDK, against roles and policies seeded in moto. */
@ExtendWith(LocalAwsExtension.class)
class IamPolicySimulatorIT {
    private static final String TRUST = """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}""";
    private static final String ROLE_ARN = "arn:aws:iam::123456789012:role/";

    private final IamClient moto;
    private final IamClient proxied;
    private final ssmreach.local.iam.PolicyEvaluator evaluator;

    IamPolicySimulatorIT(LocalAws aws) {
        this.moto = client(aws.motoEndpoint());
        this.proxied = client(aws.endpoint());
        this.evaluator = aws.authorizer().evaluator();
    }

    @Test
    void managedPolicyAllowsTheAgentAndNamesItself() {
        moto.createRole(r -> r.roleName("core").path("/ssm/").assumeRolePolicyDocument(TRUST));
        moto.attachRolePolicy(r -> r.roleName("core").policyArn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"));

        List<EvaluationResult> results = proxied.simulatePrincipalPolicy(r -> r.policySourceArn(ROLE_ARN + "ssm/core")
                .actionNames(SsmFleet.AGENT_ACTIONS)).evaluationResults();

        assertEquals(SsmFleet.AGENT_ACTIONS, results.stream().map(EvaluationResult::evalActionName).toList());
        for (EvaluationResult result : results) {
            assertEquals(PolicyEvaluationDecisionType.ALLOWED, result.evalDecision(), result.evalActionName());
            assertEquals("*", result.evalResourceName());
            assertEquals("AmazonSSMManagedInstanceCore", result.matchedStatements().getFirst().sourcePolicyId());
            assertEquals(PolicySourceType.AWS_MANAGED, result.matchedStatements().getFirst().sourcePolicyType());
        }
    }

    @Test
    void customerManagedInlineAndDenyTogether() {
        moto.createRole(r -> r.roleName("mixed").assumeRolePolicyDocument(TRUST));
        String custom = moto.createPolicy(r -> r.policyName("agent").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["SSM:Update*", "ssmmessages:*"], "Resource": "*"}]}"""))
                .policy().arn();
        moto.attachRolePolicy(r -> r.roleName("mixed").policyArn(custom));
        moto.putRolePolicy(r -> r.roleName("mixed").policyName("no-channels").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ssmmessages:Open*", "Resource": "*"}]}"""));

        var decisions = decisions("mixed", SsmFleet.AGENT_ACTIONS);

        assertEquals(List.of(PolicyEvaluationDecisionType.ALLOWED, PolicyEvaluationDecisionType.ALLOWED,
                PolicyEvaluationDecisionType.EXPLICIT_DENY, PolicyEvaluationDecisionType.IMPLICIT_DENY), decisions);
    }

    @Test
    void onlyTheDefaultVersionOfAManagedPolicyCounts() {
        moto.createRole(r -> r.roleName("versions").assumeRolePolicyDocument(TRUST));
        String arn = moto.createPolicy(r -> r.policyName("v").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}""")).policy().arn();
        moto.createPolicyVersion(r -> r.policyArn(arn).setAsDefault(false).policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}"""));
        moto.attachRolePolicy(r -> r.roleName("versions").policyArn(arn));

        assertEquals(List.of(PolicyEvaluationDecisionType.IMPLICIT_DENY), decisions("versions", List.of("ssm:UpdateInstanceInformation")));
        moto.setDefaultPolicyVersion(r -> r.policyArn(arn).versionId("v2"));
        assertEquals(List.of(PolicyEvaluationDecisionType.ALLOWED), decisions("versions", List.of("ssm:UpdateInstanceInformation")));
    }

    @Test
    void permissionsBoundaryLimitsTheRole() {
        String boundary = moto.createPolicy(r -> r.policyName("boundary").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}""")).policy().arn();
        moto.createRole(r -> r.roleName("bounded").assumeRolePolicyDocument(TRUST).permissionsBoundary(boundary));
        moto.attachRolePolicy(r -> r.roleName("bounded").policyArn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"));

        EvaluationResult outside = proxied.simulatePrincipalPolicy(r -> r.policySourceArn(ROLE_ARN + "bounded")
                .actionNames("ec2messages:GetMessages", "ssm:UpdateInstanceInformation")).evaluationResults().getFirst();

        assertEquals(PolicyEvaluationDecisionType.IMPLICIT_DENY, outside.evalDecision());
        assertFalse(outside.permissionsBoundaryDecisionDetail().allowedByPermissionsBoundary());
        assertEquals(List.of(PolicyEvaluationDecisionType.IMPLICIT_DENY, PolicyEvaluationDecisionType.ALLOWED),
                decisions("bounded", List.of("ec2messages:GetMessages", "ssm:UpdateInstanceInformation")));
    }

    @Test
    void resourceArnsAreEvaluatedEachAndAggregated() {
        moto.createRole(r -> r.roleName("buckets").assumeRolePolicyDocument(TRUST));
        moto.putRolePolicy(r -> r.roleName("buckets").policyName("read").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::aws-ssm-us-east-1/*"}]}"""));

        EvaluationResult result = proxied.simulatePrincipalPolicy(r -> r.policySourceArn(ROLE_ARN + "buckets").actionNames("s3:GetObject")
                .resourceArns("arn:aws:s3:::aws-ssm-us-east-1/a", "arn:aws:s3:::other/a")).evaluationResults().getFirst();

        assertEquals(PolicyEvaluationDecisionType.IMPLICIT_DENY, result.evalDecision(), "the most restrictive of the two");
        assertEquals(List.of(PolicyEvaluationDecisionType.ALLOWED, PolicyEvaluationDecisionType.IMPLICIT_DENY),
                result.resourceSpecificResults().stream().map(r -> r.evalResourceDecision()).toList());
        assertEquals(List.of(PolicyEvaluationDecisionType.IMPLICIT_DENY), decisions("buckets", List.of("s3:GetObject")),
                "without ResourceArns the resource is *, which a bucket statement does not cover");
    }

    @Test
    void conditionalStatementReportsItsContextKeys() {
        moto.createRole(r -> r.roleName("conditional").assumeRolePolicyDocument(TRUST));
        moto.putRolePolicy(r -> r.roleName("conditional").policyName("vpc-only").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*",
                  "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}}]}"""));

        EvaluationResult result = proxied.simulatePrincipalPolicy(r -> r.policySourceArn(ROLE_ARN + "conditional")
                .actionNames("ssm:UpdateInstanceInformation")).evaluationResults().getFirst();

        assertEquals(PolicyEvaluationDecisionType.IMPLICIT_DENY, result.evalDecision());
        assertEquals(List.of("aws:SourceVpc"), result.missingContextValues());
    }

    @Test
    void trustPolicyMustLetEc2AssumeTheRole() {
        IamPolicySimulator simulator = new IamPolicySimulator(moto, evaluator);
        assertTrue(simulator.trusts(role("both", """
                {"Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
                                "Action": "sts:AssumeRole"}]}"""), "ec2.amazonaws.com"));
        assertFalse(simulator.trusts(role("lambda", """
                {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"""),
                "ec2.amazonaws.com"));
        assertFalse(simulator.trusts(role("tag", """
                {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:TagSession"}]}"""),
                "ec2.amazonaws.com"));
        assertFalse(simulator.trusts(role("denied", """
                {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"},
                               {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]}"""), "ec2.amazonaws.com"));
    }

    @Test
    void unknownRoleIsNoSuchEntity() {
        NoSuchEntityException e = assertThrows(NoSuchEntityException.class, () -> proxied.simulatePrincipalPolicy(
                r -> r.policySourceArn(ROLE_ARN + "nobody").actionNames("ssm:UpdateInstanceInformation")));

        assertEquals(404, e.statusCode());
        assertEquals("NoSuchEntity", e.awsErrorDetails().errorCode());
        assertTrue(e.getMessage().contains("nobody"), e.getMessage());
    }

    private software.amazon.awssdk.services.iam.model.Role role(String name, String trust) {
        return moto.createRole(r -> r.roleName(name).assumeRolePolicyDocument(trust)).role();
    }

    private List<PolicyEvaluationDecisionType> decisions(String role, List<String> actions) {
        return proxied.simulatePrincipalPolicy(r -> r.policySourceArn(ROLE_ARN + role).actionNames(actions)).evaluationResults().stream()
                .map(EvaluationResult::evalDecision).toList();
    }

    private static IamClient client(java.net.URI endpoint) {
        return IamClient.builder().httpClient(UrlConnectionHttpClient.create()).region(LocalAws.REGION).endpointOverride(endpoint)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"))).build();
    }
}
