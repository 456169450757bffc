"""Content of the demo initiatives: one per workflow stage, realistic Vietnamese/English text."""

from __future__ import annotations

from dataclasses import dataclass, field

ADMIN, REVIEWER, FUND = "admin@techx.local", "cuong.le@techx.local", "dung.pham@techx.local"

AN, BINH, HOA = "an.nguyen@techx.local", "binh.tran@techx.local", "hoa.dang@techx.local"


@dataclass(frozen=True)
class Demo:
    state: str
    owner: str
    title: tuple[str, str]
    summary: tuple[str, str]
    description: str
    keywords: list[str]
    group: str
    field_code: str
    ipc: list[str]
    trl: int
    province: str
    authors: list[tuple[str, int]] = field(default_factory=lambda: [("Nguyễn Văn An", 100)])


DEMOS = [
    Demo(
        "draft",
        AN,
        ("Vật liệu hấp phụ asen từ vỏ trấu", "Rice-husk arsenic adsorbent"),
        (
            "Than hoạt tính từ vỏ trấu xử lý asen trong nước giếng khoan.",
            "Rice-husk activated carbon removes arsenic from well water.",
        ),
        "Quy trình hoạt hóa KOH ở 650 °C, tỷ lệ 1:3, tái sinh 5 chu kỳ.",
        ["asen", "vỏ trấu"],
        "materials",
        "205",
        ["C02F 1/28"],
        3,
        "HN",
    ),
    Demo(
        "submitted",
        BINH,
        ("Robot kiểm tra mối hàn đường ống", "Pipeline weld inspection robot"),
        (
            "Robot bám từ tính kiểm tra mối hàn bằng siêu âm mảng pha.",
            "Magnetic crawler inspecting welds with phased-array ultrasound.",
        ),
        "Cơ cấu bánh từ tính biến thiên và thuật toán ghép ảnh siêu âm.",
        ["robot", "siêu âm"],
        "robotics",
        "202",
        ["B62D 57/024"],
        5,
        "HN",
        [("Trần Thị Bình", 70), ("Lê Văn Tâm", 30)],
    ),
    Demo(
        "screening",
        AN,
        ("Cảm biến độ mặn cho đồng bằng sông Cửu Long", "Mekong Delta salinity sensor"),
        (
            "Mạng cảm biến giá rẻ cảnh báo xâm nhập mặn theo thời gian thực.",
            "Low-cost sensor network warning of saline intrusion in real time.",
        ),
        "Điện cực phủ graphene chống ăn mòn, truyền LoRa, hiệu chuẩn tự động.",
        ["xâm nhập mặn", "LoRa"],
        "ai",
        "202",
        ["G01N 27/06"],
        6,
        "CT",
    ),
    Demo(
        "returned",
        HOA,
        ("Chế phẩm vi sinh phân hủy rơm rạ", "Straw-degrading microbial product"),
        (
            "Chế phẩm Trichoderma rút ngắn thời gian phân hủy rơm còn 20 ngày.",
            "Trichoderma product cutting straw decomposition to 20 days.",
        ),
        "Chủng Trichoderma asperellum TH-07 phối trộn Bacillus subtilis.",
        ["rơm rạ", "vi sinh"],
        "biotech",
        "401",
        ["C12N 1/14"],
        6,
        "CT",
        [("Đặng Thị Hoa", 100)],
    ),
    Demo(
        "withdrawn",
        BINH,
        ("Pin natri-ion cho xe máy điện", "Sodium-ion battery for e-scooters"),
        (
            "Pin natri-ion giá thành thấp, an toàn cháy nổ.",
            "Low-cost, fire-safe sodium-ion battery.",
        ),
        "Cathode Prussian white và điện giải không cháy.",
        ["pin", "natri-ion"],
        "energy",
        "205",
        ["H01M 10/054"],
        4,
        "HN",
        [("Trần Thị Bình", 100)],
    ),
    Demo(
        "under_review",
        AN,
        ("Nhận dạng bệnh lúa bằng ảnh điện thoại", "Rice disease detection from phone photos"),
        (
            "Mô hình học sâu nhận dạng 12 bệnh lúa phổ biến ngoại tuyến.",
            "Offline deep-learning model recognising 12 common rice diseases.",
        ),
        "Mạng MobileNetV3 chưng cất tri thức, tập dữ liệu 84.000 ảnh.",
        ["bệnh lúa", "học sâu"],
        "ai",
        "102",
        ["G06N 3/08", "G06V 20/188"],
        7,
        "CT",
    ),
    Demo(
        "rejected",
        HOA,
        ("Gạch không nung từ tro bay", "Unfired bricks from fly ash"),
        (
            "Gạch xi măng cốt liệu tro bay nhiệt điện.",
            "Cement bricks with power-plant fly ash aggregate.",
        ),
        "Phối liệu 40 % tro bay, ép rung 20 MPa.",
        ["tro bay", "gạch"],
        "materials",
        "201",
        ["C04B 28/04"],
        5,
        "HP",
        [("Đặng Thị Hoa", 100)],
    ),
    Demo(
        "selected",
        BINH,
        ("Chip giải mã video tiết kiệm năng lượng", "Low-power video decoder chip"),
        (
            "Lõi IP giải mã H.265 cho camera giám sát.",
            "H.265 decoder IP core for surveillance cameras.",
        ),
        "Kiến trúc pipeline 4 tầng, công nghệ 28 nm, 45 mW ở 1080p30.",
        ["vi mạch", "H.265"],
        "semiconductors",
        "202",
        ["H04N 19/44"],
        5,
        "HN",
        [("Trần Thị Bình", 100)],
    ),
    Demo(
        "published",
        AN,
        (
            "Nền tảng truy xuất nguồn gốc nông sản bằng blockchain",
            "Blockchain farm-produce traceability",
        ),
        (
            "Truy xuất nguồn gốc thanh long xuất khẩu từ vườn đến cảng.",
            "Tracing export dragon fruit from orchard to port.",
        ),
        "Hợp đồng thông minh Hyperledger Fabric, tem QR chống sao chép.",
        ["truy xuất nguồn gốc", "thanh long"],
        "blockchain",
        "102",
        ["G06Q 10/08"],
        8,
        "HCM",
    ),
    Demo(
        "commercializing",
        HOA,
        ("Vắc-xin tái tổ hợp phòng bệnh tôm đốm trắng", "Recombinant white-spot shrimp vaccine"),
        (
            "Vắc-xin đường uống giảm 60 % tỷ lệ chết do virus đốm trắng.",
            "Oral vaccine cutting white-spot mortality by 60 %.",
        ),
        "Protein VP28 biểu hiện trong nấm men Pichia, bao vi nang alginate.",
        ["tôm", "vắc-xin"],
        "biotech",
        "401",
        ["A61K 39/12"],
        7,
        "CT",
        [("Đặng Thị Hoa", 80), ("Phan Minh Khoa", 20)],
    ),
    Demo(
        "commercialized",
        BINH,
        ("Hệ thống cảnh báo sạt lở đất", "Landslide early-warning system"),
        (
            "Cảm biến nghiêng và độ ẩm đất cảnh báo sạt lở cho vùng núi phía Bắc.",
            "Tilt and soil-moisture sensors warning of landslides in the northern mountains.",
        ),
        "Ngưỡng cảnh báo học từ dữ liệu mưa 10 năm, truyền NB-IoT.",
        ["sạt lở", "IoT"],
        "mobile_networks",
        "201",
        ["G08B 21/10"],
        9,
        "HN",
        [("Trần Thị Bình", 100)],
    ),
]
