"""Building blocks of the demo catalogue: technologies per strategic group, applications,
benefits, description sentences and the (fictitious) organisations that list them."""

from __future__ import annotations

from typing import NamedTuple


class Technology(NamedTuple):
    vi: str
    en: str
    st_field: str
    ipc: tuple[str, ...]
    keywords: tuple[str, ...]


TECHNOLOGIES: dict[str, tuple[Technology, ...]] = {
    "ai": (
        Technology(
            "Mô hình ngôn ngữ lớn tiếng Việt",
            "Vietnamese large language model",
            "102",
            ("G06F 40/30", "G06N 3/08"),
            ("trí tuệ nhân tạo", "xử lý ngôn ngữ tự nhiên"),
        ),
        Technology(
            "Camera AI xử lý tại biên",
            "Edge AI camera",
            "202",
            ("G06V 20/52", "H04N 7/18"),
            ("thị giác máy tính", "camera thông minh"),
        ),
        Technology(
            "Bản sao số nhà máy",
            "Factory digital twin",
            "203",
            ("G05B 17/02", "G06F 30/20"),
            ("bản sao số", "mô phỏng"),
        ),
        Technology(
            "Trợ lý ảo chăm sóc khách hàng",
            "Customer-service virtual assistant",
            "102",
            ("G06F 40/35",),
            ("trợ lý ảo", "chatbot"),
        ),
    ),
    "cloud_quantum_data": (
        Technology(
            "Nền tảng điện toán đám mây lai",
            "Hybrid cloud platform",
            "102",
            ("G06F 9/50",),
            ("điện toán đám mây", "ảo hoá"),
        ),
        Technology(
            "Hệ thống phân tích dữ liệu lớn",
            "Big-data analytics system",
            "101",
            ("G06F 16/28",),
            ("dữ liệu lớn", "phân tích dữ liệu"),
        ),
        Technology(
            "Thiết bị phân phối khoá lượng tử",
            "Quantum key distribution device",
            "103",
            ("H04L 9/08",),
            ("truyền thông lượng tử", "mã hoá"),
        ),
    ),
    "blockchain": (
        Technology(
            "Hệ thống truy xuất nguồn gốc bằng chuỗi khối",
            "Blockchain traceability system",
            "102",
            ("G06Q 10/08",),
            ("chuỗi khối", "truy xuất nguồn gốc"),
        ),
        Technology(
            "Hạ tầng định danh số phi tập trung",
            "Decentralised digital identity platform",
            "102",
            ("H04L 9/32",),
            ("định danh số", "chuỗi khối"),
        ),
    ),
    "mobile_networks": (
        Technology(
            "Thiết bị vô tuyến mở O-RAN 5G",
            "5G Open RAN radio unit",
            "202",
            ("H04W 88/08",),
            ("mạng 5G", "O-RAN"),
        ),
        Technology(
            "Giải pháp mạng lõi 5G",
            "5G core network solution",
            "202",
            ("H04W 24/02",),
            ("mạng lõi", "viễn thông"),
        ),
    ),
    "robotics": (
        Technology(
            "Robot tự hành vận chuyển trong kho",
            "Autonomous mobile warehouse robot",
            "203",
            ("B25J 5/00", "G05D 1/02"),
            ("robot tự hành", "tự động hoá"),
        ),
        Technology(
            "Cánh tay robot công nghiệp sáu bậc tự do",
            "Six-axis industrial robot arm",
            "203",
            ("B25J 9/16",),
            ("robot công nghiệp", "tự động hoá"),
        ),
        Technology(
            "Dây chuyền phân loại nông sản tự động",
            "Automatic produce sorting line",
            "203",
            ("B07C 5/34",),
            ("phân loại", "thị giác máy"),
        ),
    ),
    "semiconductors": (
        Technology(
            "Chip vi điều khiển tiết kiệm năng lượng",
            "Low-power microcontroller chip",
            "202",
            ("H01L 27/02", "G06F 1/32"),
            ("chip bán dẫn", "vi mạch"),
        ),
        Technology(
            "Chip xử lý AI chuyên dụng",
            "Dedicated AI accelerator chip",
            "202",
            ("G06N 3/063",),
            ("chip AI", "thiết kế vi mạch"),
        ),
        Technology(
            "Quy trình đóng gói và kiểm thử vi mạch",
            "Chip packaging and test process",
            "205",
            ("H01L 21/56",),
            ("đóng gói vi mạch", "kiểm thử"),
        ),
    ),
    "cybersecurity": (
        Technology(
            "Nền tảng giám sát an ninh mạng",
            "Security operations platform",
            "102",
            ("H04L 9/40",),
            ("an ninh mạng", "giám sát"),
        ),
        Technology(
            "Giải pháp phát hiện mã độc bằng học máy",
            "Machine-learning malware detection",
            "102",
            ("G06F 21/56",),
            ("mã độc", "an toàn thông tin"),
        ),
    ),
    "energy": (
        Technology(
            "Hệ thống điện mặt trời áp mái",
            "Rooftop solar power system",
            "202",
            ("H02S 20/23",),
            ("điện mặt trời", "năng lượng tái tạo"),
        ),
        Technology(
            "Pin lưu trữ lithium sắt phốt phát",
            "Lithium iron phosphate storage battery",
            "204",
            ("H01M 10/0525",),
            ("lưu trữ năng lượng", "pin"),
        ),
        Technology(
            "Bộ biến tần điện gió",
            "Wind power inverter",
            "202",
            ("H02M 7/48", "F03D 9/25"),
            ("điện gió", "biến tần"),
        ),
        Technology(
            "Công nghệ sản xuất hydro xanh",
            "Green hydrogen production",
            "204",
            ("C25B 1/04",),
            ("hydro xanh", "điện phân"),
        ),
    ),
    "materials": (
        Technology(
            "Vật liệu nano bạc kháng khuẩn",
            "Antibacterial silver nanomaterial",
            "210",
            ("A01N 59/16", "B22F 1/054"),
            ("vật liệu nano", "kháng khuẩn"),
        ),
        Technology(
            "Bê tông tính năng siêu cao",
            "Ultra-high-performance concrete",
            "201",
            ("C04B 28/04",),
            ("bê tông", "vật liệu xây dựng"),
        ),
        Technology(
            "Nhựa phân huỷ sinh học từ tinh bột sắn",
            "Cassava-starch biodegradable plastic",
            "205",
            ("C08L 3/02",),
            ("nhựa sinh học", "vật liệu xanh"),
        ),
        Technology(
            "Công nghệ chế biến sâu đất hiếm",
            "Rare-earth deep processing",
            "205",
            ("C22B 59/00",),
            ("đất hiếm", "luyện kim"),
        ),
    ),
    "biotech": (
        Technology(
            "Công nghệ sinh học sản xuất vắc-xin thú y",
            "Veterinary vaccine biotechnology",
            "304",
            ("A61K 39/12",),
            ("vắc-xin", "thú y"),
        ),
        Technology(
            "Chế phẩm vi sinh xử lý phụ phẩm nông nghiệp",
            "Microbial product for crop residues",
            "406",
            ("C05F 11/08",),
            ("vi sinh vật", "phân bón hữu cơ"),
        ),
        Technology(
            "Bộ kít chẩn đoán nhanh sinh học phân tử",
            "Rapid molecular diagnostic kit",
            "304",
            ("C12Q 1/68",),
            ("chẩn đoán", "sinh học phân tử"),
        ),
        Technology(
            "Nhân giống cây trồng bằng nuôi cấy mô",
            "Plant tissue-culture propagation",
            "406",
            ("A01H 4/00",),
            ("nuôi cấy mô", "giống cây trồng"),
        ),
    ),
    "aerospace": (
        Technology(
            "Thiết bị bay không người lái phun thuốc",
            "Crop-spraying drone",
            "203",
            ("B64U 10/13", "A01M 7/00"),
            ("UAV", "nông nghiệp chính xác"),
        ),
        Technology(
            "Vệ tinh quan sát Trái Đất cỡ nhỏ",
            "Small Earth-observation satellite",
            "105",
            ("B64G 1/10",),
            ("vệ tinh", "viễn thám"),
        ),
    ),
}

APPLICATIONS = (
    ("cho nông nghiệp thông minh", "for smart agriculture"),
    ("cho bệnh viện tuyến tỉnh", "for provincial hospitals"),
    ("cho khu công nghiệp", "for industrial parks"),
    ("cho đô thị thông minh", "for smart cities"),
    ("cho nuôi trồng thuỷ sản", "for aquaculture"),
    ("cho doanh nghiệp vừa và nhỏ", "for small and medium enterprises"),
    ("cho ngành logistics", "for logistics"),
    ("cho cơ quan nhà nước", "for public agencies"),
    ("cho vùng Đồng bằng sông Cửu Long", "for the Mekong Delta"),
    ("cho miền núi phía Bắc", "for the northern uplands"),
)

BENEFITS = (
    ("giảm 30% chi phí vận hành", "cuts operating costs by 30%"),
    ("tăng năng suất gấp hai lần", "doubles productivity"),
    ("thay thế hàng nhập khẩu", "replaces imported equipment"),
    ("giảm phát thải khí nhà kính", "reduces greenhouse-gas emissions"),
    ("rút ngắn thời gian xử lý xuống còn vài phút", "brings processing time down to minutes"),
    ("đạt tiêu chuẩn an toàn quốc tế", "meets international safety standards"),
)

DETAILS = (
    (
        "Giải pháp đã được thử nghiệm tại {place} trong {months} tháng với kết quả ổn định.",
        "The solution ran for {months} months in {place} with stable results.",
    ),
    (
        "Nhóm nghiên cứu gồm {people} thành viên, có kinh nghiệm triển khai thực tế.",
        "The research team has {people} members with field experience.",
    ),
    (
        "Công nghệ được phát triển trong một chương trình khoa học và công nghệ cấp quốc gia.",
        "The technology was developed under a national science and technology programme.",
    ),
    (
        "Bên nhận chuyển giao được đào tạo vận hành và bảo trì trong {weeks} tuần.",
        "The recipient is trained in operation and maintenance for {weeks} weeks.",
    ),
    (
        "Sản phẩm sử dụng linh kiện trong nước, tỷ lệ nội địa hoá đạt {share}%.",
        "The product uses local components, with {share}% local content.",
    ),
    (
        "Chúng tôi tìm đối tác đầu tư để mở rộng sản xuất ở quy mô công nghiệp.",
        "We are looking for investors to scale production to industrial volumes.",
    ),
    (
        "Hồ sơ kỹ thuật, quy trình và tiêu chuẩn cơ sở được cung cấp đầy đủ.",
        "Full technical files, procedures and in-house standards are provided.",
    ),
)

REQUEST_PREFIX = ("Cần tìm", "Seeking")

# Fictitious organisations of the demo catalogue: (name, English name, kind, province).
ORGANISATIONS = (
    (
        "Viện Nghiên cứu Ứng dụng Trường Sơn",
        "Truong Son Applied Research Institute",
        "institute",
        "HN",
    ),
    ("Viện Công nghệ Sinh học Phương Nam", "Southern Biotechnology Institute", "institute", "HCM"),
    ("Trường Đại học Kỹ thuật Sông Hàn", "Song Han University of Engineering", "university", "DNG"),
    (
        "Trường Đại học Nông nghiệp Cửu Long",
        "Cuu Long University of Agriculture",
        "university",
        "CT",
    ),
    ("Công ty Cổ phần Công nghệ Sông Hồng", "Song Hong Technology JSC", "enterprise", "HN"),
    ("Công ty TNHH Tự động hoá Bạch Đằng", "Bach Dang Automation Co., Ltd.", "enterprise", "HP"),
    ("Công ty Cổ phần Năng lượng Tây Nguyên", "Tay Nguyen Energy JSC", "enterprise", "DLK"),
    (
        "Công ty TNHH Vật liệu mới Hương Giang",
        "Huong Giang New Materials Co., Ltd.",
        "enterprise",
        "HUE",
    ),
    ("Trung tâm Đổi mới sáng tạo Lam Sơn", "Lam Son Innovation Centre", "support_org", "THA"),
    ("Quỹ Đầu tư Công nghệ Hạ Long", "Ha Long Technology Fund", "fund", "QNH"),
    (
        "Viện Kỹ thuật Cơ điện Miền Trung",
        "Central Electromechanical Engineering Institute",
        "institute",
        "NAN",
    ),
    ("Công ty Cổ phần Thiết bị Y tế Đồng Nai", "Dong Nai Medical Devices JSC", "enterprise", "DNI"),
    (
        "Hợp tác xã Nông nghiệp Công nghệ cao Lâm Viên",
        "Lam Vien High-Tech Farming Cooperative",
        "enterprise",
        "LDG",
    ),
    (
        "Trung tâm Ứng dụng Tiến bộ KH&CN Bắc Ninh",
        "Bac Ninh S&T Application Centre",
        "agency",
        "BNH",
    ),
)
