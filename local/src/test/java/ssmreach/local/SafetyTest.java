package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.AuthorizeSecurityGroupEgressRequest;
import software.amazon.awssdk.services.ec2.model.AuthorizeSecurityGroupIngressRequest;
import software.amazon.awssdk.services.ec2.model.IpPermission;

/** The rules every scenario's mutating calls are held to, on requests as the SDK prints them into the call log. */
class SafetyTest {
    private static final Set<String> VPC = Set.of("10.0.0.0/16", "10.1.0.0/16");

    private static CallLog.Call ingress(IpPermission permission) {
        return new CallLog.Call("EC2", "AuthorizeSecurityGroupIngress", false,
                AuthorizeSecurityGroupIngressRequest.builder().groupId("sg-0123456789abcdef0").ipPermissions(permission).build().toString());
    }

    private static IpPermission tcp(int from, int to, String cidr) {
        return IpPermission.builder().ipProtocol("tcp").fromPort(from).toPort(to).ipRanges(r -> r.cidrIp(cidr)).build();
    }

    private static CallLog.Call call(String operation) {
        return new CallLog.Call("EC2", operation, false, operation + "Request()");
    }

    @Test
    void httpsFromAVpcBlockAndOtherMutationsPass() {
        List<CallLog.Call> calls = List.of(call("CreateVpcEndpoint"), call("ModifyVpcEndpoint"), ingress(tcp(443, 443, "10.1.0.0/16")),
                call("AssociateIamInstanceProfile"), call("CreateTags"));

        assertEquals(List.of(), Safety.violations(calls, VPC));
    }

    @Test
    void destructiveCallsAreViolations() {
        List<CallLog.Call> calls = List.of(call("DeleteVpcEndpoints"), call("DisassociateIamInstanceProfile"),
                call("ReplaceIamInstanceProfileAssociation"), call("RevokeSecurityGroupIngress"), call("CreateVpcEndpoint"));

        assertEquals(List.of("never: DeleteVpcEndpoints was called", "never: DisassociateIamInstanceProfile was called",
                "never: ReplaceIamInstanceProfileAssociation was called", "never: RevokeSecurityGroupIngress was called"),
                Safety.violations(calls, VPC));
    }

    @Test
    void widerRulesAreViolations() {
        IpPermission fromGroup = IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443)
                .userIdGroupPairs(p -> p.groupId("sg-0fedcba9876543210")).build();
        IpPermission allTraffic = IpPermission.builder().ipProtocol("-1").ipRanges(r -> r.cidrIp("10.0.0.0/16")).build();
        CallLog.Call egress = new CallLog.Call("EC2", "AuthorizeSecurityGroupEgress", false,
                AuthorizeSecurityGroupEgressRequest.builder().groupId("sg-0123456789abcdef0").ipPermissions(tcp(443, 443, "10.0.0.0/16"))
                        .build().toString());

        for (CallLog.Call wider : List.of(ingress(tcp(22, 22, "10.0.0.0/16")), ingress(tcp(0, 65535, "10.0.0.0/16")),
                ingress(tcp(443, 443, "0.0.0.0/0")), ingress(tcp(443, 443, "10.0.3.0/24")), ingress(fromGroup), ingress(allTraffic), egress)) {
            List<String> violations = Safety.violations(List.of(wider), VPC);
            assertEquals(1, violations.size(), wider.request());
            assertTrue(violations.getFirst().startsWith("never: "), violations.getFirst());
        }
    }
}
