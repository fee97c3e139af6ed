# Conan 2 recipe for cfmail, a header-only library. From the repository root:
#   conan create test/conan --build=missing
import os

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class CfmailConan(ConanFile):
    name = "cfmail"
    version = "0.1.0"
    description = "C++20 client for Cloudflare's Email Sending API (send_raw), over Asio and Beast"
    license = "BSL-1.0"
    topics = ("email", "cloudflare", "asio", "beast", "coroutines", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    no_copy_source = True

    def export_sources(self):
        root = os.path.join(self.recipe_folder, os.pardir, os.pardir)
        copy(self, "include/*", src=root, dst=self.export_sources_folder)
        copy(self, "README.md", src=root, dst=self.export_sources_folder)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # Public headers include Boost.Asio, Beast, JSON and URL, and OpenSSL.
        self.requires("boost/[>=1.81 <2]", transitive_headers=True)
        self.requires("openssl/[>=1.1.1 <4]", transitive_headers=True)

    def package_id(self):
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, 20)

    def source(self):
        pass

    def build(self):
        pass

    def package(self):
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))
        copy(self, "*.ipp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "cfmail")
        self.cpp_info.set_property("cmake_target_name", "cfmail::cfmail")
        self.cpp_info.set_property("pkg_config_name", "cfmail")
        self.cpp_info.requires = ["boost::headers", "boost::json", "boost::url",
                                  "openssl::ssl", "openssl::crypto"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
