"""The catalogue of simulated images: every image of the course and of the docs' examples.

Each :class:`~.registry.Family` says which repository names it answers to, which tags exist,
how big it is, its ENTRYPOINT/CMD, which shell and tools it contains, and which behaviour model
runs its programs. To add an image, add a Family here (and a behaviour if needed).
"""
from __future__ import annotations

from . import databases as db
from . import webservers as web
from . import workloads as wl
from .registry import Family, Registry, semver_list


def exec_rest(image, argv, sb, now):
    """An entrypoint script that ends with ``exec "$@"``."""
    return image.start_argv(argv[1:], sb, now) if len(argv) > 1 else None


def daemon(cls, *flags):
    """An entry for program ``cls`` (a Process class), unless argv asks for a one-shot flag."""
    def entry(image, argv, sb, now):
        if any(a in flags for a in argv[1:]):
            return None
        return cls(image, argv, sb, now)
    return entry


def takeover(cls):
    """A program that, run from a shell script, becomes the container's long-running server."""
    def program(sh, argv, io):
        from .shell.runtime import Takeover
        raise Takeover(lambda image, av, sb, now: cls(image, av, sb, now), argv)
    return program


def redis_entry(image, argv, sb, now):
    rest = argv[1:]
    if rest and (rest[0].startswith("-") or rest[0].endswith(".conf")):
        rest = ["redis-server"] + rest
    return image.start_argv(rest, sb, now) if rest else None


def mysql_entry(image, argv, sb, now):
    rest = argv[1:]
    if rest and rest[0].startswith("-"):
        rest = ["mysqld"] + rest
    return image.start_argv(rest, sb, now) if rest else None


_NGINX = semver_list({"1.14": 2, "1.15": 12, "1.16": 1, "1.17": 10, "1.18": 0, "1.19": 10,
                      "1.20": 2, "1.21": 6, "1.22": 1, "1.23": 4, "1.24": 0, "1.25": 5, "1.26": 3,
                      "1.27": 5})
_BUSYBOX = semver_list({"1.24": 2, "1.25": 1, "1.26": 2, "1.27": 2, "1.28": 4, "1.29": 3,
                        "1.30": 1, "1.31": 1, "1.32": 1, "1.33": 1, "1.34": 1, "1.35": 0, "1.36": 1,
                        "1.37": 0})

FAMILIES = [
    Family("nginx", ["nginx"], _NGINX,
           aliases={"latest": "1.27.5", "mainline": "1.27.5", "stable": "1.26.3"},
           variants=("alpine-slim", "alpine-perl", "alpine", "perl", "bookworm"),
           base_size=72_200_000, sizes={"1.14.2": 44_710_204, "1.16.1": 51_030_575,
                                         "1.15.12": 49_020_520, "1.17.10": 52_700_201},
           entrypoint=lambda v: ["/docker-entrypoint.sh"] if web._vtuple(v) >= (1, 19) else [],
           cmd=["nginx", "-g", "daemon off;"], shell="bash", extra_tools=("curl",),
           variant_shell={"alpine": "alpine", "alpine-slim": "alpine", "alpine-perl": "alpine"},
           entries={"docker-entrypoint.sh": web.nginx_entry, "nginx": web.nginx_main},
           programs={"nginx": web.nginx_cmd}, files=web.nginx_files,
           env={"NGINX_VERSION": "{version}", "NJS_VERSION": "0.8.10", "PKG_RELEASE": "1~bookworm"},
           description="the nginx web server (port 80)"),
    Family("nginx-slim", ["registry.k8s.io/nginx-slim", "k8s.gcr.io/nginx-slim", "gcr.io/google_containers/nginx-slim"],
           ["0.7", "0.8", "0.20", "0.21", "0.22", "0.23", "0.24", "0.25", "0.26", "0.27"],
           base_size=36_000_000, app_versions={"0.7": "1.9.12", "0.8": "1.11.1", "0.20": "1.13.5",
                                               "0.24": "1.17.6", "0.25": "1.19.3", "0.26": "1.19.3",
                                               "0.27": "1.23.3"},
           cmd=["nginx", "-g", "daemon off;"], shell="bash",
           entries={"nginx": web.nginx_main}, programs={"nginx": web.nginx_cmd},
           files=web.nginx_files, description="a small nginx used by the StatefulSet tutorials"),
    Family("httpd", ["httpd"], semver_list({"2.4": 63}), aliases={"latest": "2.4.63"},
           variants=("alpine", "bookworm"), base_size=58_500_000, cmd=["httpd-foreground"],
           shell="bash", variant_shell={"alpine": "alpine"},
           entries={"httpd-foreground": daemon(web.Httpd),
                    "httpd": daemon(web.Httpd, "-v", "-V", "-t")},
           files=web.HTTPD_FILES, workdir="/usr/local/apache2",
           env={"HTTPD_VERSION": "{version}", "HTTPD_PREFIX": "/usr/local/apache2"},
           description="Apache httpd (port 80)"),
    Family("hpa-example", ["registry.k8s.io/hpa-example", "k8s.gcr.io/hpa-example"], ["latest"],
           base_size=136_400_000, cmd=["apache2-foreground"], shell="bash",
           app_versions={"latest": "2.4.10"},
           entries={"apache2-foreground": daemon(web.PhpApache)}, workdir="/var/www/html",
           description="php-apache: each request burns CPU (HPA walkthrough)"),
    Family("hello-app", ["gcr.io/google-samples/hello-app",
                         "us-docker.pkg.dev/google-samples/containers/gke/hello-app"],
           ["1.0", "2.0"], base_size=10_900_000, cmd=["./hello-app"], shell="alpine",
           entries={"hello-app": daemon(web.HelloApp)}, description="Hello, world! + version (8080)"),
    Family("gb-frontend", ["docker.io/corelab/gb-frontend", "gcr.io/google-samples/gb-frontend",
                           "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend"],
           ["v4", "v5", "v6"], base_size=131_000_000, cmd=["apache2-foreground"], shell="bash",
           app_versions={"v4": "2.4.10", "v5": "2.4.38", "v6": "2.4.54"},
           entries={"apache2-foreground": daemon(web.GuestbookFrontend)},
           description="the guestbook's PHP frontend (port 80)"),
    Family("python", ["python"], semver_list({"3.11": 11, "3.12": 9, "3.13": 2}),
           aliases={"latest": "3.13.2"}, variants=("slim", "alpine", "bookworm"), base_size=375_000_000,
           cmd=["python3"], shell="bash", extra_tools=("curl", "wget"),
           variant_shell={"alpine": "alpine"},
           programs={"python": web.python_cmd, "python3": web.python_cmd},
           description="Python (python -m http.server)"),
    Family("memcached", ["memcached"], semver_list({"1.6": 37}), aliases={"latest": "1.6.37"},
           variants=("alpine",), base_size=33_000_000, entrypoint=["docker-entrypoint.sh"],
           cmd=["memcached"], shell="bash", entries={"docker-entrypoint.sh": exec_rest,
                                                     "memcached": daemon(web.Memcached, "-h", "-V")},
           description="memcached (11211)"),
    Family("busybox", ["busybox", "registry.k8s.io/busybox", "k8s.gcr.io/busybox",
                       "gcr.io/google_containers/busybox"], _BUSYBOX,
           aliases={"latest": "1.37.0", "stable": "1.37.0"}, variants=("musl", "glibc", "uclibc"),
           base_size=2_166_000, sizes={"1.27.2": 1_309_888, "1.28.4": 1_363_283, "1.24.2": 1_126_000},
           cmd=["sh"], shell="busybox", description="a tiny userland: sh, wget, nslookup..."),
    Family("alpine", ["alpine"], semver_list({"3.18": 12, "3.19": 7, "3.20": 6, "3.21": 3}),
           aliases={"latest": "3.21.3"}, base_size=3_650_000, cmd=["/bin/sh"], shell="alpine"),
    Family("debian", ["debian"], ["10", "11", "12", "bookworm", "bullseye", "buster", "bookworm-slim"],
           aliases={"latest": "12", "stable": "12"}, base_size=48_500_000, cmd=["bash"],
           shell="bash", description="Debian (bash, coreutils)"),
    Family("ubuntu", ["ubuntu"], ["20.04", "22.04", "24.04", "focal", "jammy", "noble"],
           aliases={"latest": "24.04"}, base_size=29_700_000, cmd=["/bin/bash"], shell="bash"),
    Family("bash", ["bash"], ["4.4", "5.0", "5.1", "5.2", "5.2.37"], aliases={"latest": "5.2.37"},
           base_size=6_100_000, entrypoint=["docker-entrypoint.sh"], cmd=["bash"], shell="alpine",
           extra_tools=("bash",), entries={"docker-entrypoint.sh": exec_rest}),
    Family("curl", ["curlimages/curl"], ["8.5.0", "8.8.0", "8.11.1", "8.12.1"],
           aliases={"latest": "8.12.1"}, base_size=10_800_000, entrypoint=["/entrypoint.sh"],
           cmd=["curl"], shell="alpine", extra_tools=("curl",), entries={"entrypoint.sh": exec_rest}),
    Family("perl", ["perl"], semver_list({"5.34": 3, "5.36": 3, "5.38": 3, "5.40": 1}),
           aliases={"latest": "5.40.1"}, variants=("slim", "threaded", "bookworm"),
           base_size=336_500_000, cmd=["perl", "-de0"], shell="bash", extra_tools=("curl", "wget"),
           programs={"perl": wl.perl_cmd}, description="Perl (the Job example computes pi)"),
    Family("agnhost", ["registry.k8s.io/e2e-test-images/agnhost", "k8s.gcr.io/e2e-test-images/agnhost"],
           [f"2.{n}" for n in range(20, 54)], base_size=51_100_000, entrypoint=["/agnhost"],
           shell="bash", extra_tools=("curl", "nc", "nslookup"), entries={"agnhost": wl.agnhost_main},
           description="the Kubernetes e2e test server (liveness, netexec, serve-hostname...)"),
    Family("goproxy", ["registry.k8s.io/goproxy", "k8s.gcr.io/goproxy"], ["0.1"],
           base_size=2_575_000, entrypoint=["/goproxy"], shell=None,
           entries={"goproxy": daemon(wl.Goproxy)}, description="an HTTP proxy on 8080"),
    Family("pause", ["registry.k8s.io/pause", "k8s.gcr.io/pause", "gcr.io/google_containers/pause"],
           ["2.0", "3.1", "3.2", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10"], aliases={"latest": "3.10"},
           base_size=320_000, sizes={"3.8": 311_286, "3.9": 321_520, "2.0": 350_164},
           entrypoint=["/pause"], shell=None, entries={"pause": wl.pause_main}),
    Family("redis", ["redis", "docker.io/redis"], semver_list({"6.0": 20, "6.2": 17, "7.0": 15,
                                                              "7.2": 7, "7.4": 2}),
           aliases={"latest": "7.4.2"}, variants=("alpine", "bookworm"), base_size=45_100_000,
           entrypoint=["docker-entrypoint.sh"], cmd=["redis-server"], shell="bash",
           variant_shell={"alpine": "alpine"}, workdir="/data", files={"data/": ""},
           entries={"docker-entrypoint.sh": redis_entry, "redis-server": daemon(db.Redis, "-v", "--version")},
           programs={"redis-cli": db.redis_cli, "redis-server": takeover(db.Redis)},
           env={"REDIS_VERSION": "{version}"}, description="Redis (6379); data in /data"),
    Family("gb-redis-follower", ["us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower",
                                 "gcr.io/google_samples/gb-redisslave"], ["v1", "v2"],
           base_size=41_600_000, app_versions={"v1": "3.2.9", "v2": "6.0.5"}, cmd=["/run.sh"],
           shell="bash", workdir="/data", files={"data/": ""},
           entries={"run.sh": daemon(db.Redis)}, programs={"redis-cli": db.redis_cli},
           description="a Redis replica of redis-leader (guestbook)"),
    Family("mysql", ["mysql"], semver_list({"5.7": 44, "8.0": 41, "8.4": 4, "9.2": 0}),
           aliases={"latest": "9.2.0", "lts": "8.4.4"}, variants=("oracle", "debian"),
           base_size=160_800_000, sizes={"5.7.44": 137_900_000}, entrypoint=["docker-entrypoint.sh"],
           cmd=["mysqld"], shell="bash", files={"var/lib/mysql/": "", "etc/mysql/conf.d/": ""},
           entries={"docker-entrypoint.sh": mysql_entry, "mysqld": daemon(db.MySQL, "--version", "-V")},
           programs={"mysql": db.mysql_cli, "mysqladmin": db.mysqladmin, "mysqld": takeover(db.MySQL)},
           env={"MYSQL_MAJOR": "{version}", "MYSQL_VERSION": "{version}-1.el7"},
           description="MySQL (3306); data in /var/lib/mysql"),
    Family("mariadb", ["mariadb"], semver_list({"10.6": 21, "10.11": 11, "11.4": 5}),
           aliases={"latest": "11.4.5", "lts": "11.4.5"}, base_size=110_300_000,
           entrypoint=["docker-entrypoint.sh"], cmd=["mariadbd"], shell="bash",
           files={"var/lib/mysql/": "", "etc/mysql/conf.d/": ""},
           entries={"docker-entrypoint.sh": mysql_entry, "mariadbd": daemon(db.MySQL),
                    "mysqld": daemon(db.MySQL)},
           programs={"mysql": db.mysql_cli, "mariadb": db.mysql_cli, "mysqladmin": db.mysqladmin}),
    Family("xtrabackup", ["gcr.io/google-samples/xtrabackup"], ["1.0"], base_size=72_400_000,
           cmd=["bash"], shell="bash", files={"var/lib/mysql/": "", "etc/mysql/conf.d/": ""},
           programs={"ncat": db.ncat_cmd, "xbstream": db.xbstream_cmd,
                     "xtrabackup": db.xtrabackup_cmd, "mysql": db.mysql_cli},
           description="Percona XtraBackup (the replicated MySQL tutorial)"),
    Family("fluentd", ["quay.io/fluentd_elasticsearch/fluentd", "k8s.gcr.io/fluentd-elasticsearch",
                       "gcr.io/google-containers/fluentd-elasticsearch"],
           ["1.20", "1.22", "v2.5.2", "v2.9.0", "v3.4.0", "v4.7.5", "v5.0.1"],
           aliases={"latest": "v5.0.1"}, base_size=141_000_000, entrypoint=["/entrypoint.sh"],
           cmd=["/run.sh"], shell="bash",
           entries={"entrypoint.sh": exec_rest, "run.sh": daemon(wl.Fluentd), "td-agent": daemon(wl.Fluentd)},
           description="the log shipper of the DaemonSet examples"),
    Family("polinux-stress", ["polinux/stress"], ["1.0.4"], aliases={"latest": "1.0.4"},
           base_size=4_000_000, cmd=["stress", "--help"], shell="alpine",
           entries={"stress": daemon(wl.Stress, "--help", "-?", "--version")},
           description="stress: CPU and memory hogs (resource-limit examples)"),
    Family("vish-stress", ["vish/stress"], ["latest"], base_size=1_800_000,
           entrypoint=["/stress"], cmd=["-logtostderr"], shell=None,
           entries={"stress": daemon(wl.Stress)}),
    Family("labkit-crasher", ["labkit/crasher"], ["1.0"], aliases={"latest": "1.0"},
           base_size=2_400_000, entrypoint=["/crasher"], shell="busybox",
           entries={"crasher": daemon(wl.Crasher)}, description="exits with an error after a while"),
    Family("labkit-stress", ["labkit/stress"], ["1.0"], aliases={"latest": "1.0"},
           base_size=2_400_000, entrypoint=["/stress"], cmd=["--cpu", "1"], shell="busybox",
           entries={"stress": daemon(wl.Stress)}, description="burns CPU / holds memory"),
    Family("labkit-leaker", ["labkit/leaker"], ["1.0"], aliases={"latest": "1.0"},
           base_size=2_400_000, entrypoint=["/leaker"], shell="busybox",
           entries={"leaker": daemon(wl.Leaker)}, description="memory grows until OOMKilled"),
    Family("labkit-job", ["labkit/job"], ["1.0"], aliases={"latest": "1.0"}, base_size=2_400_000,
           entrypoint=["/job"], shell="busybox", entries={"job": daemon(wl.Job)},
           description="works N seconds, then exits 0"),
]

REGISTRY = Registry(FAMILIES)
