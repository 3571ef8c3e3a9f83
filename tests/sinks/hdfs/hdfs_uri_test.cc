#include "sinks/hdfs/hdfs_uri.h"

#include <gtest/gtest.h>

namespace sluice::sinks::hdfs {
namespace {

TEST(HdfsUri, WebhdfsAndHttpNameTheNameNode) {
  auto a = parse_hdfs_uri("webhdfs://nn.example.com:50070/logs/%Y/%{host}");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->scheme, HdfsUri::Scheme::webhdfs);
  EXPECT_EQ(a->host, "nn.example.com");
  EXPECT_EQ(a->port, 50070);
  EXPECT_EQ(a->path, "/logs/%Y/%{host}");
  auto b = parse_hdfs_uri("HTTP://10.0.0.5/flume/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "10.0.0.5");
  EXPECT_EQ(b->port, 9870);
  EXPECT_EQ(b->path, "/flume");
  auto root = parse_hdfs_uri("webhdfs://nn:9870");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->path, "/");
}

TEST(HdfsUri, FileIsALocalAbsolutePath) {
  auto f = parse_hdfs_uri("file:///var/log/events/%Y%m%d");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->scheme, HdfsUri::Scheme::file);
  EXPECT_EQ(f->path, "/var/log/events/%Y%m%d");
  EXPECT_TRUE(f->host.empty());
}

TEST(HdfsUri, ErrorsSayWhatToWrite) {
  EXPECT_EQ(parse_hdfs_uri("hdfs://nn:8020/logs").error().message,
            "'hdfs://nn:8020/logs': hdfs:// is Hadoop's RPC protocol, which sluice does not speak; use the name "
            "node's WebHDFS address, e.g. webhdfs://namenode:9870/path");
  EXPECT_EQ(parse_hdfs_uri("/logs").error().message,
            "'/logs': give a scheme: webhdfs://namenode:9870/path for HDFS, file:///path for a local disk");
  EXPECT_EQ(parse_hdfs_uri("file://relative/x").error().message,
            "'file://relative/x': a file:// path is absolute, e.g. file:///var/log/events");
  EXPECT_EQ(parse_hdfs_uri("webhdfs:///logs").error().message,
            "'webhdfs:///logs': name the name node, e.g. webhdfs://namenode:9870/logs");
  EXPECT_EQ(parse_hdfs_uri("webhdfs://nn:99999/logs").error().message,
            "'webhdfs://nn:99999/logs': '99999' is not a port");
}

}  // namespace
}  // namespace sluice::sinks::hdfs
