package ssmreach.local.iam;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.TagDescription;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;

/**
 * What EC2 asks of IAM for each Query-protocol request the functions send: the resources named
 * by the request's parameters (a resource the request creates is {@code type/*}, as EC2 authorizes
 * it before it exists), their tags and attributes as the emulator holds them, and the request's
 * own keys (the tags it asks for, the service of an endpoint, the attributes it sets).
 *
 * <p>Actions without resource-level permissions need no model here; an action that has them and
 * is not modelled fails loudly in the {@link Authorizer}.
 */
final class Ec2Requests {
    /** Parameters that name the request's target or control it, rather than set an attribute. */
    private static final Set<String> NOT_ATTRIBUTES = Set.of("Action", "Version", "DryRun", "VpcEndpointId", "VpcId",
            "ClientToken");

    private final String region;
    private final String account;
    private final Ec2Client ec2;
    private final IamClient iam;

    /** @param ec2 and {@code iam}: clients straight to the emulator, to read the state AWS would consult */
    Ec2Requests(String region, String account, Ec2Client ec2, IamClient iam) {
        this.region = region;
        this.account = account;
        this.ec2 = ec2;
        this.iam = iam;
    }

    /** The request, or empty when the operation has no model (then only a star-only action passes). */
    Optional<AccessRequest> model(String operation, Map<String, String> form) {
        String action = "ec2:" + operation;
        Map<String, Object> context = Map.of("ec2:Region", region);
        return Optional.ofNullable(switch (operation) {
            case "DescribeVpcAttribute" -> new AccessRequest(action, List.of(existing("vpc", form.get("VpcId"))), context);
            case "ModifyVpcAttribute" -> new AccessRequest(action,
                    perAttribute(existing("vpc", form.get("VpcId")), form), context);
            case "CreateSecurityGroup" -> new AccessRequest(action, withOptional(
                    created("security-group", requestTags(form, "security-group")), form.get("VpcId"), "vpc"), context);
            case "AuthorizeSecurityGroupIngress" -> new AccessRequest(action, List.of(existing("security-group", form.get("GroupId"))),
                    context);
            case "CreateVpcEndpoint" -> createVpcEndpoint(action, form, context);
            case "ModifyVpcEndpoint" -> modifyVpcEndpoint(action, form, context);
            case "CreateTags" -> createTags(action, form, context);
            case "AssociateIamInstanceProfile" -> new AccessRequest(action, List.of(instance(form)), context);
            default -> null;
        });
    }

    /**
     * A dependent action of a modelled request, as EC2 asks it on the caller's behalf; empty when
     * this request does not need it (tags on create only when it carries tags, the private hosted
     * zone only for private DNS). Null when there is no model for that dependent action.
     */
    Optional<AccessRequest> dependent(AccessRequest primary, Map<String, String> form, String dependentAction) {
        return switch (dependentAction) {
            case "ec2:CreateTags" -> tagOnCreate(primary.action().substring(primary.action().indexOf(':') + 1), form);
            case "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs" ->
                    Optional.of(AccessRequest.onAny(dependentAction, Map.of("ec2:Region", region)));
            case "route53:AssociateVPCWithHostedZone" -> privateDns(form)
                    // The AWS-managed private hosted zone of the service, whose id the caller never knows.
                    ? Optional.of(new AccessRequest(dependentAction, List.of(new AccessRequest.Target("hostedzone",
                            "arn:aws:route53:::hostedzone/*", Map.of())), Map.of("route53:VPCs", form.get("VpcId"))))
                    : Optional.empty();
            case "iam:PassRole" -> Optional.of(passRole(form));
            default -> null;
        };
    }

    private AccessRequest createVpcEndpoint(String action, Map<String, String> form, Map<String, Object> context) {
        Map<String, Object> endpoint = new LinkedHashMap<>(requestTags(form, "vpc-endpoint"));
        endpoint.put("ec2:VpceServiceName", form.get("ServiceName"));
        endpoint.put("ec2:VpceServiceOwner", "amazon");
        List<AccessRequest.Target> targets = new ArrayList<>(List.of(created("vpc-endpoint", endpoint), existing("vpc", form.get("VpcId"))));
        targets.addAll(existing("subnet", members(form, "SubnetId")));
        targets.addAll(existing("security-group", members(form, "SecurityGroupId")));
        targets.addAll(existing("route-table", members(form, "RouteTableId")));
        return new AccessRequest(action, targets, context);
    }

    private AccessRequest modifyVpcEndpoint(String action, Map<String, String> form, Map<String, Object> context) {
        List<AccessRequest.Target> targets = new ArrayList<>(perAttribute(existing("vpc-endpoint", form.get("VpcEndpointId")), form));
        targets.addAll(existing("subnet", concat(members(form, "AddSubnetId"), members(form, "RemoveSubnetId"))));
        targets.addAll(existing("security-group", concat(members(form, "AddSecurityGroupId"), members(form, "RemoveSecurityGroupId"))));
        targets.addAll(existing("route-table", concat(members(form, "AddRouteTableId"), members(form, "RemoveRouteTableId"))));
        return new AccessRequest(action, targets, context);
    }

    /** Tags on existing resources (CreateTags as a call of its own: no ec2:CreateAction). */
    private AccessRequest createTags(String action, Map<String, String> form, Map<String, Object> context) {
        Map<String, Object> asked = tags(form, "Tag.");
        List<String> ids = members(form, "ResourceId");
        Map<String, Map<String, String>> current = tagsOf(ids);
        List<AccessRequest.Target> targets = ids.stream().map(id -> {
            Map<String, Object> keys = new LinkedHashMap<>(asked);
            keys.putAll(resourceTags(current.getOrDefault(id, Map.of())));
            return new AccessRequest.Target(typeOf(id), arn(typeOf(id), id), keys);
        }).toList();
        return new AccessRequest(action, targets, context);
    }

    /** EC2 authorizes tags given at creation as ec2:CreateTags on the new resource, with ec2:CreateAction. */
    private Optional<AccessRequest> tagOnCreate(String operation, Map<String, String> form) {
        for (int n = 1; form.containsKey("TagSpecification." + n + ".ResourceType"); n++) {
            String type = form.get("TagSpecification." + n + ".ResourceType");
            Map<String, Object> keys = new LinkedHashMap<>(tags(form, "TagSpecification." + n + ".Tag."));
            if (!keys.isEmpty()) {
                return Optional.of(new AccessRequest("ec2:CreateTags", List.of(created(type, keys)),
                        Map.of("ec2:Region", region, "ec2:CreateAction", operation)));
            }
        }
        return Optional.empty();
    }

    private AccessRequest passRole(Map<String, String> form) {
        String profile = form.containsKey("IamInstanceProfile.Arn")
                ? form.get("IamInstanceProfile.Arn").substring(form.get("IamInstanceProfile.Arn").lastIndexOf('/') + 1)
                : form.get("IamInstanceProfile.Name");
        List<String> roles;
        try {
            roles = iam.getInstanceProfile(r -> r.instanceProfileName(profile)).instanceProfile().roles().stream().map(Role::arn).toList();
        } catch (NoSuchEntityException e) {
            roles = List.of();
        }
        List<AccessRequest.Target> targets = roles.stream().map(arn -> new AccessRequest.Target("role", arn, Map.of())).toList();
        return new AccessRequest("iam:PassRole", targets, Map.of("iam:PassedToService", "ec2.amazonaws.com",
                "iam:AssociatedResourceArn", arn("instance", form.get("InstanceId"))));
    }

    private AccessRequest.Target instance(Map<String, String> form) {
        String id = form.get("InstanceId");
        Map<String, Object> keys = new LinkedHashMap<>(resourceTags(tagsOf(List.of(id)).getOrDefault(id, Map.of())));
        keys.put("ec2:InstanceID", id);
        String newProfile = form.getOrDefault("IamInstanceProfile.Arn", form.get("IamInstanceProfile.Name"));
        if (newProfile != null) {
            keys.put("ec2:NewInstanceProfile", profileArn(newProfile));
        }
        ec2.describeInstances(r -> r.filters(Filter.builder().name("instance-id").values(id).build())).reservations().stream()
                .flatMap(r -> r.instances().stream()).findFirst().ifPresent((Instance instance) -> {
                    keys.put("ec2:AvailabilityZone", instance.placement().availabilityZone());
                    keys.put("ec2:InstanceType", instance.instanceTypeAsString());
                    if (instance.iamInstanceProfile() != null) {
                        keys.put("ec2:InstanceProfile", instance.iamInstanceProfile().arn());
                    }
                });
        return new AccessRequest.Target("instance", arn("instance", id), keys);
    }

    private String profileArn(String nameOrArn) {
        if (nameOrArn.startsWith("arn:")) {
            return nameOrArn;
        }
        try {
            return iam.getInstanceProfile(r -> r.instanceProfileName(nameOrArn)).instanceProfile().arn();
        } catch (NoSuchEntityException e) {
            return "arn:aws:iam::" + account + ":instance-profile/" + nameOrArn;
        }
    }

    /**
     * {@code ec2:Attribute} is single-valued: a request that sets several attributes is checked once
     * per attribute, each time with its name and, for a plain value ({@code X} or {@code X.Value}),
     * {@code ec2:Attribute/X}. A list parameter ({@code AddSubnetId.1}, ...) is named, with no value.
     */
    private List<AccessRequest.Target> perAttribute(AccessRequest.Target resource, Map<String, String> form) {
        Map<String, String> attributes = new TreeMap<>();
        form.forEach((key, value) -> {
            String name = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (NOT_ATTRIBUTES.contains(name)) {
                return;
            }
            boolean plain = key.equals(name) || key.equals(name + ".Value");
            attributes.merge(name, plain ? value : "", (a, b) -> "");
        });
        if (attributes.isEmpty()) {
            return List.of(resource);
        }
        return attributes.entrySet().stream().map(attribute -> {
            Map<String, Object> keys = new LinkedHashMap<>(resource.context());
            keys.put("ec2:Attribute", attribute.getKey());
            if (!attribute.getValue().isEmpty()) {
                keys.put("ec2:Attribute/" + attribute.getKey(), attribute.getValue());
            }
            return new AccessRequest.Target(resource.resourceType(), resource.arn(), keys);
        }).toList();
    }

    private boolean privateDns(Map<String, String> form) {
        // For an interface endpoint of an AWS service private DNS is on unless the request turns it off.
        return "Interface".equalsIgnoreCase(form.getOrDefault("VpcEndpointType", "Gateway"))
                && !"false".equalsIgnoreCase(form.getOrDefault("PrivateDnsEnabled", "true"));
    }

    private List<AccessRequest.Target> withOptional(AccessRequest.Target first, String id, String type) {
        return id == null ? List.of(first) : List.of(first, existing(type, id));
    }

    /** A resource the request creates: EC2 authorizes {@code type/*} with the tags the request asks for. */
    private AccessRequest.Target created(String type, Map<String, Object> keys) {
        return new AccessRequest.Target(type, arn(type, "*"), keys);
    }

    private AccessRequest.Target existing(String type, String id) {
        return existing(type, List.of(id)).getFirst();
    }

    /** Existing resources with their tags and the keys EC2 derives from them (ids, VPC, zone). */
    private List<AccessRequest.Target> existing(String type, List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<String, Map<String, String>> tags = tagsOf(ids);
        Map<String, Map<String, Object>> derived = derived(type, ids);
        return ids.stream().map(id -> {
            Map<String, Object> keys = new LinkedHashMap<>(resourceTags(tags.getOrDefault(id, Map.of())));
            keys.putAll(derived.getOrDefault(id, Map.of()));
            return new AccessRequest.Target(type, arn(type, id), keys);
        }).toList();
    }

    private Map<String, Map<String, Object>> derived(String type, List<String> ids) {
        return switch (type) {
            case "vpc" -> ids.stream().collect(Collectors.toMap(Function.identity(), id -> Map.of("ec2:VpcID", id), (a, b) -> a));
            case "route-table" -> ids.stream().collect(Collectors.toMap(Function.identity(), id -> Map.of("ec2:RouteTableID", id),
                    (a, b) -> a));
            case "subnet" -> ec2.describeSubnets(r -> r.filters(Filter.builder().name("subnet-id").values(ids).build())).subnets()
                    .stream().collect(Collectors.toMap(s -> s.subnetId(), s -> Map.of("ec2:SubnetID", s.subnetId(),
                            "ec2:AvailabilityZone", s.availabilityZone(), "ec2:Vpc", arn("vpc", s.vpcId())), (a, b) -> a));
            case "security-group" -> ec2.describeSecurityGroups(r -> r.filters(Filter.builder().name("group-id").values(ids).build()))
                    .securityGroups().stream().collect(Collectors.toMap(g -> g.groupId(), g -> Map.of("ec2:SecurityGroupID", g.groupId(),
                            "ec2:Vpc", arn("vpc", g.vpcId())), (a, b) -> a));
            default -> Map.of();
        };
    }

    /** Resource id → its tags, from one call. */
    private Map<String, Map<String, String>> tagsOf(List<String> ids) {
        Map<String, Map<String, String>> tags = new TreeMap<>();
        for (TagDescription tag : ec2.describeTagsPaginator(r -> r.filters(Filter.builder().name("resource-id").values(ids).build())).tags()) {
            tags.computeIfAbsent(tag.resourceId(), id -> new TreeMap<>()).put(tag.key(), tag.value());
        }
        return tags;
    }

    /** aws:ResourceTag/K and ec2:ResourceTag/K for each tag the resource carries now. */
    private static Map<String, Object> resourceTags(Map<String, String> tags) {
        Map<String, Object> keys = new LinkedHashMap<>();
        tags.forEach((key, value) -> {
            keys.put("aws:ResourceTag/" + key, value);
            keys.put("ec2:ResourceTag/" + key, value);
        });
        return keys;
    }

    /** The tags a request asks for: aws:RequestTag/K for each, aws:TagKeys for all of them. */
    private static Map<String, Object> tags(Map<String, String> form, String prefix) {
        Map<String, Object> keys = new LinkedHashMap<>();
        Set<String> names = new TreeSet<>();
        for (int n = 1; form.containsKey(prefix + n + ".Key"); n++) {
            String key = form.get(prefix + n + ".Key");
            names.add(key);
            keys.put("aws:RequestTag/" + key, form.getOrDefault(prefix + n + ".Value", ""));
        }
        if (!names.isEmpty()) {
            keys.put("aws:TagKeys", List.copyOf(names));
        }
        return keys;
    }

    /** The tags of the request's TagSpecification for one resource type. */
    private static Map<String, Object> requestTags(Map<String, String> form, String resourceType) {
        for (int n = 1; form.containsKey("TagSpecification." + n + ".ResourceType"); n++) {
            if (resourceType.equals(form.get("TagSpecification." + n + ".ResourceType"))) {
                return tags(form, "TagSpecification." + n + ".Tag.");
            }
        }
        return Map.of();
    }

    /** The values of a list parameter: {@code Name.1}, {@code Name.2}, ... */
    private static List<String> members(Map<String, String> form, String name) {
        List<String> values = new ArrayList<>();
        for (int n = 1; form.containsKey(name + "." + n); n++) {
            values.add(form.get(name + "." + n));
        }
        return values;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The resource type of an EC2 id, by its prefix. */
    static String typeOf(String id) {
        String prefix = id.substring(0, Math.max(id.indexOf('-'), 0));
        return switch (prefix) {
            case "subnet" -> "subnet";
            case "vpc" -> "vpc";
            case "sg" -> "security-group";
            case "vpce" -> "vpc-endpoint";
            case "i" -> "instance";
            case "rtb" -> "route-table";
            case "acl" -> "network-acl";
            case "igw" -> "internet-gateway";
            case "eni" -> "network-interface";
            case "nat" -> "natgateway";
            default -> throw new IllegalArgumentException("no resource type known for the EC2 id " + id);
        };
    }

    private String arn(String type, String id) {
        return "arn:aws:ec2:" + region + ":" + account + ":" + type + "/" + id;
    }
}
