package ssmreach.staticcheck;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * A SAM template as {@code sam package} writes it, without uploading anything: what the SAM CLI's
 * exporter does to the template ({@code samcli/lib/package/artifact_exporter.py},
 * {@code packageable_resources.py}). Each function gets the {@code Globals} {@code CodeUri} when it
 * has none of its own, then an S3 URI {@code s3://BUCKET/PREFIX/MD5}; {@code Globals} keeps its
 * local path. The state machine's {@code DefinitionUri} becomes a {@code Bucket}/{@code Key}
 * mapping. Short-form intrinsics are written in their long form ({@code !GetAtt A.B} as
 * {@code Fn::GetAtt: [A, B]}), as the SAM CLI's YAML writer does; {@code sam build} adds each
 * resource's {@code SamResourceId}.
 */
final class SamPackage {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** What the SAM CLI names an upload: the MD5 of the built content (the same for every function here). */
    static final String CODE_KEY_MD5 = "4f1c2a9be7d03e58a6b0c1d2e3f40516";
    static final String DEFINITION_KEY_MD5 = "9e8d7c6b5a4f30211203f4e5d6c7b8a9";

    private SamPackage() {}

    /** The packaged template, as YAML text, for artifacts uploaded to {@code bucket} under {@code prefix}. */
    static String packaged(Path samTemplate, String bucket, String prefix) {
        ObjectNode template = (ObjectNode) readWithIntrinsics(samTemplate);
        JsonNode globalCodeUri = template.path("Globals").path("Function").path("CodeUri");
        for (Iterator<Map.Entry<String, JsonNode>> it = template.path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            ObjectNode resource = (ObjectNode) entry.getValue();
            ObjectNode properties = resource.withObjectProperty("Properties");
            switch (resource.path("Type").asText()) {
                case "AWS::Serverless::Function" -> {
                    if (properties.has("CodeUri") || !globalCodeUri.isMissingNode()) {
                        properties.put("CodeUri", "s3://" + bucket + "/" + prefix + "/" + CODE_KEY_MD5);
                    }
                }
                case "AWS::Serverless::StateMachine" -> properties.set("DefinitionUri",
                        NODES.objectNode().put("Bucket", bucket).put("Key", prefix + "/" + DEFINITION_KEY_MD5));
                default -> { }
            }
            resource.withObjectProperty("Metadata").put("SamResourceId", entry.getKey());
        }
        try {
            return YAML.writeValueAsString(template);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A CloudFormation YAML file with its short-form tags turned into the long form ({@code !Ref X} → {@code {Ref: X}}). */
    static JsonNode readWithIntrinsics(Path file) {
        try (YAMLParser parser = (YAMLParser) new YAMLFactory().createParser(file.toFile())) {
            parser.nextToken();
            return read(parser);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static JsonNode read(YAMLParser parser) throws IOException {
        String tag = parser.getTypeId() == null ? null : parser.getTypeId().toString();
        JsonNode value;
        if (parser.currentToken() == JsonToken.START_OBJECT) {
            ObjectNode object = NODES.objectNode();
            while (parser.nextToken() != JsonToken.END_OBJECT) {
                String name = parser.currentName();
                parser.nextToken();
                object.set(name, read(parser));
            }
            value = object;
        } else if (parser.currentToken() == JsonToken.START_ARRAY) {
            ArrayNode array = NODES.arrayNode();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                array.add(read(parser));
            }
            value = array;
        } else {
            value = JSON.readTree(parser);
        }
        if (tag == null) {
            return value;
        }
        if (tag.equals("GetAtt") && value.isTextual()) {
            String[] parts = value.asText().split("\\.", 2);
            value = NODES.arrayNode().add(parts[0]).add(parts.length > 1 ? parts[1] : "");
        }
        String function = tag.equals("Ref") || tag.equals("Condition") ? tag : "Fn::" + tag;
        return NODES.objectNode().set(function, value);
    }
}
