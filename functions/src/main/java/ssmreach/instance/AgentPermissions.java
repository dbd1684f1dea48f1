package ssmreach.instance;

import java.util.List;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.EvaluationResult;
import software.amazon.awssdk.services.iam.model.Role;

/**
 * What the SSM agent's role must allow to register and take commands, checked the exact way:
 * iam:SimulatePrincipalPolicy, which weighs every policy of the role, denies included.
 */
public final class AgentPermissions {
    /** The core of AmazonSSMManagedInstanceCore: registration, the message channels, documents. */
    public static final List<String> REQUIRED = List.of(
            "ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations", "ssm:GetDocument",
            "ssmmessages:CreateControlChannel", "ssmmessages:OpenControlChannel",
            "ssmmessages:CreateDataChannel", "ssmmessages:OpenDataChannel",
            "ec2messages:GetMessages", "ec2messages:AcknowledgeMessage", "ec2messages:SendReply");

    public static final String MANAGED_POLICY = "AmazonSSMManagedInstanceCore";

    private AgentPermissions() {}

    /** The required actions the role does not allow; empty when it allows them all. */
    public static List<String> denied(IamClient iam, Role role) {
        return iam.simulatePrincipalPolicyPaginator(r -> r.policySourceArn(role.arn()).actionNames(REQUIRED))
                .evaluationResults().stream()
                .filter(result -> !"allowed".equalsIgnoreCase(result.evalDecisionAsString()))
                .map(EvaluationResult::evalActionName).distinct().toList();
    }

    /** The role of an instance profile (by ARN); null when the profile has none. */
    public static Role roleOf(IamClient iam, String profileArn) {
        String name = profileArn.substring(profileArn.lastIndexOf('/') + 1);
        List<Role> roles = iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile().roles();
        return roles.isEmpty() ? null : roles.getFirst();
    }

    /** arn:PARTITION:iam::aws:policy/AmazonSSMManagedInstanceCore, in the partition of the given ARN. */
    public static String managedPolicyArn(String anyArnOfThePartition) {
        String partition = anyArnOfThePartition.split(":")[1];
        return "arn:" + partition + ":iam::aws:policy/" + MANAGED_POLICY;
    }
}
