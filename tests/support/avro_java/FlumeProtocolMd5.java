// Prints an Avro protocol as Java's Avro sees it in a running agent: Protocol.toString() and
// Protocol.getMD5(), the text and hash that Java's Requestor and Responder put in handshakes.
// This is how protocols/avro/flume_protocol.h's constants were made and how a test checks them.
//
//   java -cp /usr/share/java/avro.jar:/usr/share/java/jackson-core-asl.jar:\
//       /usr/share/java/jackson-mapper-asl.jar:/usr/share/java/slf4j-api.jar \
//       FlumeProtocolMd5.java --json protocol.json
//   (--idl flume.avdl also needs avro-compiler.jar, commons-lang.jar, velocity.jar on the
//   class path: Debian's libavro-java and libavro-compiler-java)
//
// Output: line 1 the MD5 in hex, line 2 "roundtrip-identical" when toString() of the parsed
// text is the text itself (so the text is in Java's canonical form), line 3 the toString().
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.avro.Protocol;

public class FlumeProtocolMd5 {
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: FlumeProtocolMd5 --json FILE | --idl FILE.avdl");
      System.exit(2);
    }
    String text;
    if (args[0].equals("--idl")) {
      // Through reflection so that --json works with avro.jar alone.
      Class<?> idlClass = Class.forName("org.apache.avro.compiler.idl.Idl");
      Object idl = idlClass.getConstructor(java.io.File.class).newInstance(new java.io.File(args[1]));
      text = idlClass.getMethod("CompilationUnit").invoke(idl).toString();
    } else {
      text = new String(Files.readAllBytes(Paths.get(args[1])), StandardCharsets.UTF_8);
    }
    Protocol parsed = Protocol.parse(text);
    StringBuilder hex = new StringBuilder();
    for (byte b : parsed.getMD5()) hex.append(String.format("%02x", b));
    System.out.println(hex);
    System.out.println(parsed.toString().equals(text) ? "roundtrip-identical" : "roundtrip-different");
    System.out.println(parsed.toString());
  }
}
