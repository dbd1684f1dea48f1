package ssmreach.instance;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.when;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.EvaluationResult;
import software.amazon.awssdk.services.iam.model.GetInstanceProfileRequest;
import software.amazon.awssdk.services.iam.model.GetInstanceProfileResponse;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.SimulatePrincipalPolicyRequest;
import software.amazon.awssdk.services.iam.model.SimulatePrincipalPolicyResponse;
import ssmreach.contract.Route;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.TestInputs;
import ssmreach.core.Settings;

/** Instances, profiles and roles as EC2 and IAM describe them; the stack's settings. */
final class InstanceFixtures {
    static final String ACCOUNT = "123456789012";
    static final String VPC = "vpc-0a1b2c3d4e5f60718";
    static final String INSTANCE = "i-0abc1234def567890";
    static final String OTHER_INSTANCE = "i-0abc1234def567891";
    static final String SUBNET = "subnet-0123456789abcdef0";
    static final String SUBNET_2 = "subnet-0123456789abcdef2";
    static final String PUBLIC_SUBNET = "subnet-0fedcba9876543210";
    static final String OPTED_OUT_SUBNET = "subnet-0aaaaaaaaaaaaaaa0";
    static final String OUR_PROFILE = "arn:aws:iam::123456789012:instance-profile/ssm-reach-SsmInstanceProfile-AbCdEf123456";
    static final String FOREIGN_PROFILE = "arn:aws:iam::123456789012:instance-profile/team/app-server";
    static final String FOREIGN_ROLE = "arn:aws:iam::123456789012:role/team/app-server-role";
    static final Instant NOW = Instant.parse("2026-11-28T14:05:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private InstanceFixtures() {}

    /** The stack's settings: its profile set, and whatever a test adds or overrides. */
    static Settings settings(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("INSTANCE_PROFILE_ARN", OUR_PROFILE));
        env.putAll(extra);
        return TestInputs.settings(env);
    }

    static Instance.Builder instance(String id, String subnetId, String state) {
        return Instance.builder().instanceId(id).subnetId(subnetId).vpcId(VPC).state(s -> s.name(state))
                .metadataOptions(m -> m.httpEndpoint(InstanceMetadataEndpointState.ENABLED));
    }

    static Instance running(String profileArn) {
        Instance.Builder b = instance(INSTANCE, SUBNET, "running");
        if (profileArn != null) {
            b.iamInstanceProfile(p -> p.arn(profileArn).id("AIPA0000000000000000"));
        }
        return b.build();
    }

    /** Every DescribeInstances answers these instances, in one reservation (none: an empty answer). */
    static void described(Ec2Client ec2, Instance... instances) {
        DescribeInstancesResponse.Builder response = DescribeInstancesResponse.builder();
        if (instances.length > 0) {
            response.reservations(Reservation.builder().reservationId("r-0123456789abcdef0").instances(instances).build());
        }
        when(ec2.describeInstances(any(DescribeInstancesRequest.class))).thenReturn(response.build());
    }

    static Role role(String arn) {
        return Role.builder().arn(arn).roleName(arn.substring(arn.lastIndexOf('/') + 1)).path("/").build();
    }

    /** GetInstanceProfile answers the profile with this role (null: a profile without role). */
    static void profileHasRole(IamClient iam, String profileArn, Role role) {
        InstanceProfile.Builder profile = InstanceProfile.builder().arn(profileArn)
                .instanceProfileName(profileArn.substring(profileArn.lastIndexOf('/') + 1));
        profile.roles(role == null ? List.of() : List.of(role));
        when(iam.getInstanceProfile(any(GetInstanceProfileRequest.class)))
                .thenReturn(GetInstanceProfileResponse.builder().instanceProfile(profile.build()).build());
    }

    /** SimulatePrincipalPolicy: every required action allowed except those named, which are denied. */
    static void simulationDenies(IamClient iam, String... denied) {
        List<String> deniedList = Arrays.asList(denied);
        List<EvaluationResult> results = AgentPermissions.REQUIRED.stream()
                .map(a -> EvaluationResult.builder().evalActionName(a).evalResourceName("*")
                        .evalDecision(deniedList.contains(a) ? (a.startsWith("ssm:") ? "explicitDeny" : "implicitDeny") : "allowed")
                        .build())
                .toList();
        when(iam.simulatePrincipalPolicy(any(SimulatePrincipalPolicyRequest.class)))
                .thenReturn(SimulatePrincipalPolicyResponse.builder().evaluationResults(results).isTruncated(false).build());
    }

    static SubnetClassification subnet(String id, SubnetStatus status, Route route, String reason) {
        return new SubnetClassification(id, "us-east-1a", "10.0.1.0/24", "rtb-0main", false, route, null, status, reason, Map.of());
    }

    static SubnetClassification inScope(String id) {
        return subnet(id, SubnetStatus.IN_SCOPE, Route.ISOLATED, "no default route");
    }
}
