// Local directories for file:// and the sink's journal: where a file's name lives, and making a
// change of names in a directory durable.
//
// Threads: any.
#pragma once

#include <string>
#include <string_view>

namespace sluice::sinks::hdfs {

// The directory `path` names its file in: "/a/b" -> "/a", "/a" -> "/", "b" -> ".".
std::string parent_directory(std::string_view path);

// fsync of the directory `dir`, so that names created, renamed or removed in it survive a
// power cut. 0, or the errno of the open or the fsync that failed.
int fsync_directory(const std::string& dir);

}  // namespace sluice::sinks::hdfs
