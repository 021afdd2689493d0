"""Demo data for the fictional town of Saint-Aubin-sur-Loire: categories, twelve shops and the venue.

Pure data, read by the seed command. Prices are in euro cents, VAT rates in basis points
(550 = 5,5 %), weekdays are ISO (1 = Monday … 7 = Sunday).

VAT follows French rules: 5,5 % for food, non-alcoholic drinks, plain chocolate bars and books;
10 % for flowers and plants; 20 % for alcoholic drinks, chocolate bonbons and confectionery.
"""

from __future__ import annotations

from typing import Any

# Products of these categories are perishable (bread, cheese, meat, fruit and vegetables, cut flowers,
# cooked dishes): under the "pay the shops" no-show policy their shop is paid for them; wine, books,
# coffee, preserves, chocolate and plants are not, and are refunded.
PERISHABLE_CATEGORIES = frozenset({
    "pains", "patisseries", "viennoiseries", "cremerie", "fromages-a-pate-dure", "fromages-a-pate-molle",
    "fromages-de-chevre", "agneau-veau", "viande-de-boeuf", "viande-de-porc", "volaille", "fruits", "legumes",
    "bouquets", "charcuterie", "traiteur",
})

# (sku, name, unit, price_cents, category_slug, vat_rate_bp, labels, allergens, stock, description)
Product = tuple[str, str, str, int, str, int, list[str], list[str], int, str]

# What one unit holds, by SKU, for the products sold by the bottle, jar, bag, tray or piece whose quantity
# is known: (quantity, "g" or "ml"). Gives their price per kilogram or litre.
NET_QUANTITIES: dict[str, tuple[int, str]] = {
    "BOU-002": (500, "g"),
    "FRO-015": (250, "g"), "FRO-016": (200, "g"), "FRO-019": (750, "g"),
    "PRI-004": (250, "g"), "PRI-005": (125, "g"), "PRI-020": (500, "g"), "PRI-021": (1000, "g"),
    **{f"CAV-{n:03d}": (750, "ml") for n in range(1, 18)},
    "CAV-018": (700, "ml"), "CAV-019": (700, "ml"), "CAV-020": (700, "ml"),
    "EPI-001": (500, "ml"), "EPI-002": (250, "ml"), "EPI-003": (500, "ml"), "EPI-004": (250, "ml"),
    "EPI-005": (210, "g"), "EPI-006": (200, "g"), "EPI-007": (125, "g"), "EPI-008": (40, "g"),
    "EPI-009": (250, "g"), "EPI-010": (250, "g"), "EPI-011": (320, "g"), "EPI-012": (320, "g"),
    "EPI-013": (250, "g"), "EPI-014": (90, "g"), "EPI-015": (115, "g"), "EPI-016": (1000, "ml"),
    "EPI-017": (180, "g"), "EPI-018": (125, "g"), "EPI-019": (250, "g"), "EPI-020": (125, "g"),
    "EPI-021": (100, "g"),
    "TOR-021": (30, "g"),
    **{f"CHO-{n:03d}": (100, "g") for n in range(1, 9)},
    **{f"CHO-{n:03d}": (150, "g") for n in (12, 13, 14, 15, 17, 18, 19, 21)},
    "CHO-016": (60, "g"),
    **{f"BRA-{n:03d}": (330, "ml") for n in (1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 19)},
    "BRA-002": (1980, "ml"), "BRA-016": (1980, "ml"),
    "BRA-012": (750, "ml"), "BRA-013": (750, "ml"), "BRA-017": (750, "ml"), "BRA-018": (1000, "ml"),
    "BRA-020": (150, "g"),
}

UNITS: list[str] = [
    "pièce", "kg", "100 g", "250 g", "500 g", "litre", "bouteille", "botte",
    "barquette", "bouquet", "sachet", "pot", "tranche", "lot de 6",
]

LABELS: list[str] = [
    "bio", "local", "AOP", "AOC", "label rouge", "fait maison", "de saison",
    "commerce équitable", "IGP",
]

# The 14 allergens of EU regulation 1169/2011, in French.
ALLERGENS: list[str] = [
    "gluten", "crustacés", "œufs", "poissons", "arachides", "soja", "lait",
    "fruits à coque", "céleri", "moutarde", "sésame", "sulfites", "lupin", "mollusques",
]

TOWN = "45000 Saint-Aubin-sur-Loire"

SHOPS: list[dict[str, Any]] = [
    {
        "slug": "boulangerie-du-marche",
        "name": "Boulangerie du Marché",
        "trade": "Boulangerie",
        "description": (
            "Depuis trois générations, la famille Morel pétrit ses pains au levain naturel "
            "avec des farines de la Beauce voisine. Les viennoiseries sortent du four chaque matin dès 6 h."
        ),
        "address": f"12 rue du Marché, {TOWN}",
        "phone": "02 38 41 12 07",
        "opening_days": [2, 3, 4, 5, 6, 7],
        "preparation_minutes": 60,
        "products": [
            ("BOU-001", "Baguette tradition", "pièce", 130, "pains", 550, ["fait maison"], ["gluten"], 60, "Une baguette croustillante à la mie alvéolée, pétrie sans additif."),
            ("BOU-002", "Pain complet", "pièce", 320, "pains", 550, ["fait maison", "bio"], ["gluten"], 18, "Un pain de 500 g à la farine complète bio, riche en fibres."),
            ("BOU-003", "Pain de campagne", "pièce", 380, "pains", 550, ["fait maison"], ["gluten"], 22, "Une grosse miche rustique à la croûte farinée, qui se garde plusieurs jours."),
            ("BOU-004", "Pain complet au levain", "pièce", 450, "pains", 550, ["fait maison", "bio"], ["gluten"], 12, "Un levain naturel de vingt-quatre heures pour une mie dense et légèrement acidulée."),
            ("BOU-005", "Pain aux céréales", "pièce", 420, "pains", 550, ["fait maison"], ["gluten", "sésame"], 15, "Graines de lin, de tournesol et de sésame dans une mie moelleuse."),
            ("BOU-006", "Pain de seigle", "pièce", 400, "pains", 550, ["fait maison"], ["gluten"], 8, "Parfait avec les huîtres et le fromage de chèvre."),
            ("BOU-007", "Fougasse aux olives", "pièce", 350, "pains", 550, ["fait maison"], ["gluten"], 10, "Une fougasse à l'huile d'olive garnie d'olives noires de Nyons."),
            ("BOU-008", "Croissant pur beurre", "pièce", 120, "viennoiseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 48, "Feuilleté au beurre AOP Charentes-Poitou, doré et fondant."),
            ("BOU-009", "Croissants pur beurre par six", "lot de 6", 690, "viennoiseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 10, "Six croissants pour le petit-déjeuner du dimanche en famille."),
            ("BOU-010", "Pain au chocolat", "pièce", 135, "viennoiseries", 550, ["fait maison"], ["gluten", "lait", "œufs", "soja"], 40, "Deux barres de chocolat noir dans une pâte feuilletée pur beurre."),
            ("BOU-011", "Pain aux raisins", "pièce", 160, "viennoiseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 20, "Une spirale de crème pâtissière et de raisins macérés au rhum."),
            ("BOU-012", "Chausson aux pommes", "pièce", 180, "viennoiseries", 550, ["fait maison", "local"], ["gluten", "lait", "œufs"], 16, "Une compote de pommes du Val de Loire dans un feuilletage croustillant."),
            ("BOU-013", "Brioche tressée", "pièce", 650, "viennoiseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 6, "Une brioche filante au beurre, à partager au goûter."),
            ("BOU-014", "Éclair au chocolat", "pièce", 320, "patisseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 12, "Une pâte à choux garnie de crème au chocolat noir et glacée."),
            ("BOU-015", "Tarte aux pommes six parts", "pièce", 1800, "patisseries", 550, ["fait maison", "de saison"], ["gluten", "lait", "œufs"], 4, "Une tarte fine aux pommes Reinette, nappée d'abricot."),
            ("BOU-016", "Flan pâtissier", "pièce", 290, "patisseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 14, "Une part généreuse de flan à la vanille de Madagascar."),
            ("BOU-017", "Paris-Brest", "pièce", 420, "patisseries", 550, ["fait maison"], ["gluten", "lait", "œufs", "fruits à coque"], 2, "Une couronne de pâte à choux garnie de crème mousseline pralinée."),
            ("BOU-018", "Millefeuille vanille", "pièce", 390, "patisseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 9, "Trois feuilletages caramélisés et une crème légère à la vanille."),
            ("BOU-019", "Tarte au citron meringuée", "pièce", 380, "patisseries", 550, ["fait maison"], ["gluten", "lait", "œufs"], 0, "Un crémeux au citron acidulé sous une meringue italienne flambée."),
            ("BOU-020", "Macarons assortis", "lot de 6", 990, "patisseries", 550, ["fait maison"], ["lait", "œufs", "fruits à coque"], 7, "Six macarons aux parfums de saison, à l'amande."),
        ],
    },
    {
        "slug": "fromagerie-la-cave-d-affinage",
        "name": "La Cave d'Affinage",
        "trade": "Fromagerie",
        "description": (
            "Claire affine elle-même ses fromages dans une cave voûtée sous la boutique. "
            "Elle vous conseille volontiers le plateau idéal, des chèvres du Berry aux grands comtés."
        ),
        "address": f"7 rue des Tanneurs, {TOWN}",
        "phone": "02 38 41 25 63",
        "opening_days": [2, 3, 4, 5, 6],
        "preparation_minutes": 120,
        "products": [
            ("FRO-001", "Comté AOP 18 mois", "100 g", 390, "fromages-a-pate-dure", 550, ["AOP"], ["lait"], 35, "Un comté fruité aux notes de noisette grillée, affiné dix-huit mois."),
            ("FRO-002", "Beaufort d'été AOP", "100 g", 450, "fromages-a-pate-dure", 550, ["AOP"], ["lait"], 20, "Fabriqué au lait d'alpage, fondant et floral."),
            ("FRO-003", "Tomme de Savoie IGP", "100 g", 260, "fromages-a-pate-dure", 550, ["IGP"], ["lait"], 25, "Une tomme à la croûte grise et à la pâte souple, douce en bouche."),
            ("FRO-004", "Mimolette extra-vieille", "100 g", 340, "fromages-a-pate-dure", 550, [], ["lait"], 14, "Vingt-deux mois d'affinage pour une pâte cassante aux arômes de caramel."),
            ("FRO-005", "Fromage de chèvre frais", "pièce", 290, "fromages-de-chevre", 550, ["local"], ["lait"], 30, "Un petit chèvre moulé à la louche, crémeux et légèrement acidulé."),
            ("FRO-006", "Fromage de chèvre cendré", "pièce", 420, "fromages-de-chevre", 550, ["local", "fait maison"], ["lait"], 16, "Une bûchette roulée dans la cendre de bois et affinée trois semaines en cave."),
            ("FRO-007", "Selles-sur-Cher AOP", "pièce", 520, "fromages-de-chevre", 550, ["AOP", "local"], ["lait"], 12, "Un palet cendré à la croûte bleutée et à la pâte fine."),
            ("FRO-008", "Sainte-Maure-de-Touraine AOP", "pièce", 690, "fromages-de-chevre", 550, ["AOP", "local"], ["lait"], 10, "La bûche traversée de sa paille de seigle, à la pâte fondante."),
            ("FRO-009", "Crottin de Chavignol AOP", "pièce", 260, "fromages-de-chevre", 550, ["AOP"], ["lait"], 24, "Le célèbre crottin du Sancerrois, à déguster frais ou bien sec."),
            ("FRO-010", "Valençay AOP", "pièce", 720, "fromages-de-chevre", 550, ["AOP"], ["lait"], 1, "Une pyramide tronquée cendrée au goût de noisette."),
            ("FRO-011", "Olivet cendré", "pièce", 480, "fromages-a-pate-molle", 550, ["local"], ["lait"], 8, "Le fromage du Loiret, affiné sous la cendre de sarments de vigne."),
            ("FRO-012", "Camembert de Normandie AOP", "pièce", 590, "fromages-a-pate-molle", 550, ["AOP"], ["lait"], 18, "Moulé à la louche au lait cru, coulant à cœur."),
            ("FRO-013", "Brie de Meaux AOP", "100 g", 310, "fromages-a-pate-molle", 550, ["AOP"], ["lait"], 22, "Une part de brie crémeux aux arômes de sous-bois."),
            ("FRO-014", "Époisses AOP", "pièce", 1150, "fromages-a-pate-molle", 550, ["AOP"], ["lait"], 5, "Lavé au marc de Bourgogne, puissant et onctueux."),
            ("FRO-015", "Crème fraîche épaisse", "pot", 380, "cremerie", 550, ["local"], ["lait"], 26, "Une crème crue de ferme, épaisse et à peine acidulée."),
            ("FRO-016", "Crème fraîche d'Isigny", "pot", 450, "cremerie", 550, ["AOP"], ["lait"], 15, "La crème normande AOP, onctueuse et légèrement noisettée."),
            ("FRO-017", "Beurre demi-sel de baratte", "250 g", 460, "cremerie", 550, [], ["lait"], 20, "Baratté à l'ancienne, aux cristaux de sel de Guérande."),
            ("FRO-018", "Lait cru entier", "litre", 150, "cremerie", 550, ["local"], ["lait"], 12, "Un lait de vache entier de la ferme des Grands Prés, non pasteurisé."),
            ("FRO-019", "Yaourts nature fermiers", "lot de 6", 420, "cremerie", 550, ["bio", "local"], ["lait"], 9, "Six yaourts au lait entier, fermes et doux."),
            ("FRO-020", "Œufs fermiers plein air", "lot de 6", 330, "cremerie", 550, ["local"], ["œufs"], 30, "Des œufs extra-frais de poules élevées en plein air à cinq kilomètres."),
        ],
    },
    {
        "slug": "boucherie-lefevre",
        "name": "Boucherie Lefèvre",
        "trade": "Boucherie",
        "description": (
            "Maître artisan boucher, Julien Lefèvre sélectionne ses bêtes chez des éleveurs du Loiret et du Limousin. "
            "Ses viandes sont maturées sur place et découpées à la demande."
        ),
        "address": f"24 Grande Rue, {TOWN}",
        "phone": "02 38 41 33 48",
        "opening_days": [2, 3, 4, 5, 6],
        "preparation_minutes": 240,
        "products": [
            ("BCH-001", "Côte de bœuf maturée", "kg", 4590, "viande-de-boeuf", 550, ["local"], [], 6, "Une côte de race limousine maturée trente jours sur os."),
            ("BCH-002", "Entrecôte persillée", "kg", 3690, "viande-de-boeuf", 550, [], [], 10, "Une entrecôte marbrée et savoureuse, idéale à la plancha."),
            ("BCH-003", "Faux-filet", "kg", 3490, "viande-de-boeuf", 550, [], [], 8, "Tendre et maigre, à saisir à feu vif."),
            ("BCH-004", "Bavette d'aloyau", "kg", 2790, "viande-de-boeuf", 550, [], [], 12, "Une pièce goûteuse à la fibre longue, parfaite aux échalotes."),
            ("BCH-005", "Viande hachée pur bœuf", "500 g", 890, "viande-de-boeuf", 550, ["local"], [], 20, "Hachée minute à 15 % de matières grasses."),
            ("BCH-006", "Bœuf à bourguignon", "kg", 1890, "viande-de-boeuf", 550, [], [], 15, "Paleron et macreuse en morceaux, pour les plats mijotés."),
            ("BCH-007", "Rôti de bœuf", "kg", 3290, "viande-de-boeuf", 550, [], [], 7, "Ficelé et bardé, à cuire rosé au four."),
            ("BCH-008", "Poulet fermier Label Rouge", "pièce", 1690, "volaille", 550, ["label rouge"], [], 9, "Un poulet élevé cent jours en plein air, d'environ 1,6 kg."),
            ("BCH-009", "Suprêmes de poulet fermier", "kg", 2290, "volaille", 550, ["label rouge"], [], 11, "Des blancs avec la peau et l'aileron, moelleux à la cuisson."),
            ("BCH-010", "Pintade fermière", "pièce", 1890, "volaille", 550, ["label rouge"], [], 2, "Une pintade à la chair fine et goûteuse, pour quatre personnes."),
            ("BCH-011", "Cuisses de canard", "kg", 1590, "volaille", 550, [], [], 14, "À confire ou à rôtir lentement au four."),
            ("BCH-012", "Magret de canard du Sud-Ouest IGP", "pièce", 1290, "volaille", 550, ["IGP"], [], 10, "Un magret épais d'environ 400 g, à griller côté peau."),
            ("BCH-013", "Rôti de porc dans l'échine", "kg", 1490, "viande-de-porc", 550, ["local"], [], 9, "Un rôti persillé qui reste moelleux à la cuisson."),
            ("BCH-014", "Côtes de porc", "kg", 1290, "viande-de-porc", 550, ["local"], [], 16, "Des côtes premières de porc fermier élevé sur paille."),
            ("BCH-015", "Filet mignon de porc", "kg", 2290, "viande-de-porc", 550, ["local"], [], 6, "La pièce la plus tendre du porc, à rôtir entière."),
            ("BCH-016", "Travers de porc", "kg", 1190, "viande-de-porc", 550, [], [], 13, "À mariner puis à griller au barbecue."),
            ("BCH-017", "Gigot d'agneau", "kg", 2690, "agneau-veau", 550, ["label rouge"], [], 4, "Un gigot entier raccourci, pour le repas du dimanche."),
            ("BCH-018", "Côtelettes d'agneau", "kg", 3290, "agneau-veau", 550, ["label rouge"], [], 8, "Des côtelettes découvertes, à griller rapidement."),
            ("BCH-019", "Épaule d'agneau", "kg", 2190, "agneau-veau", 550, [], [], 0, "Désossée et roulée, à cuire longuement aux herbes."),
            ("BCH-020", "Escalope de veau", "kg", 3490, "agneau-veau", 550, [], [], 7, "Taillée dans la noix et finement aplatie."),
            ("BCH-021", "Sauté de veau", "kg", 2590, "agneau-veau", 550, [], [], 10, "Des morceaux d'épaule pour une blanquette à l'ancienne."),
        ],
    },
    {
        "slug": "primeur-les-jardins-de-loire",
        "name": "Les Jardins de Loire",
        "trade": "Primeur",
        "description": (
            "Fruits et légumes de saison cueillis chez les maraîchers des bords de Loire, livrés chaque matin. "
            "Sophie et Karim vous accueillent avec le sourire et une recette pour chaque panier."
        ),
        "address": f"2 place du Martroi, {TOWN}",
        "phone": "02 38 41 40 15",
        "opening_days": [2, 3, 4, 5, 6, 7],
        "preparation_minutes": 60,
        "products": [
            ("PRI-001", "Pommes Reinette du Mans", "kg", 320, "fruits", 550, ["local", "de saison"], [], 45, "Une pomme ancienne acidulée, parfaite pour les tartes."),
            ("PRI-002", "Pommes Gala", "kg", 290, "fruits", 550, ["local"], [], 50, "Croquantes et sucrées, à croquer à la récré."),
            ("PRI-003", "Poires Conférence", "kg", 380, "fruits", 550, ["local", "de saison"], [], 30, "Une poire juteuse à la chair fondante."),
            ("PRI-004", "Fraises Gariguette", "barquette", 450, "fruits", 550, ["de saison"], [], 18, "Une barquette de 250 g de fraises parfumées et allongées."),
            ("PRI-005", "Framboises", "barquette", 490, "fruits", 550, ["local", "de saison"], [], 1, "Une barquette de 125 g cueillie le matin même."),
            ("PRI-006", "Citrons jaunes non traités", "kg", 490, "fruits", 550, ["bio"], [], 20, "Des citrons à l'écorce non traitée, pour les zestes."),
            ("PRI-007", "Oranges à jus", "kg", 290, "fruits", 550, [], [], 40, "Des oranges juteuses pour un jus pressé le matin."),
            ("PRI-008", "Bananes bio équitables", "kg", 260, "fruits", 550, ["bio", "commerce équitable"], [], 35, "Des bananes de République dominicaine, cultivées en coopérative."),
            ("PRI-009", "Clémentines de Corse IGP", "kg", 450, "fruits", 550, ["IGP", "de saison"], [], 25, "Reconnaissables à leurs feuilles, sucrées et sans pépins."),
            ("PRI-010", "Chasselas de Moissac AOP", "kg", 590, "fruits", 550, ["AOP", "de saison"], [], 10, "Un raisin blanc doré au goût de miel."),
            ("PRI-011", "Carottes des sables", "botte", 250, "legumes", 550, ["local"], [], 28, "Des carottes fanes douces et croquantes."),
            ("PRI-012", "Poireaux", "botte", 290, "legumes", 550, ["local", "de saison"], [], 22, "Une botte de trois poireaux pour la vinaigrette ou la fondue."),
            ("PRI-013", "Pommes de terre Charlotte", "kg", 220, "legumes", 550, ["local"], [], 60, "Une chair ferme qui tient à la cuisson, idéale en salade."),
            ("PRI-014", "Salade batavia", "pièce", 130, "legumes", 550, ["local"], [], 24, "Une laitue croquante cultivée à Saint-Aubin."),
            ("PRI-015", "Tomates anciennes", "kg", 590, "legumes", 550, ["local", "de saison"], [], 15, "Cœur-de-bœuf, noire de Crimée et ananas en mélange."),
            ("PRI-016", "Courgettes", "kg", 290, "legumes", 550, ["local", "de saison"], [], 20, "Des courgettes fermes et brillantes, à cuisiner en ratatouille."),
            ("PRI-017", "Radis roses", "botte", 170, "legumes", 550, ["local"], [], 18, "Une botte de radis piquants, à croquer avec du beurre salé."),
            ("PRI-018", "Oignons jaunes", "kg", 220, "legumes", 550, [], [], 40, "L'indispensable de la cuisine, de bonne garde."),
            ("PRI-019", "Potimarron", "pièce", 350, "legumes", 550, ["bio", "de saison"], [], 12, "Une courge au goût de châtaigne qui se cuisine avec la peau."),
            ("PRI-020", "Champignons de Paris", "barquette", 290, "legumes", 550, ["local"], [], 16, "Une barquette de 500 g cultivée dans les caves troglodytes du Saumurois."),
            ("PRI-021", "Asperges blanches", "botte", 790, "legumes", 550, ["local", "de saison"], [], 2, "Une botte d'un kilo d'asperges de Sologne, tendres et fondantes."),
            ("PRI-022", "Céleri-rave", "pièce", 250, "legumes", 550, ["local"], ["céleri"], 10, "Pour une rémoulade maison ou une purée veloutée."),
        ],
    },
    {
        "slug": "cave-le-tire-bouchon",
        "name": "Le Tire-Bouchon",
        "trade": "Caviste",
        "description": (
            "Une cave indépendante qui fait la part belle aux vignerons de la Loire, du Sancerrois à l'Anjou. "
            "Dégustations le samedi après-midi et conseils d'accords mets et vins."
        ),
        "address": f"5 rue de la Poterne, {TOWN}",
        "phone": "02 38 41 52 90",
        "opening_days": [2, 3, 4, 5, 6, 7],
        "preparation_minutes": 120,
        "products": [
            ("CAV-001", "Chinon rouge « Les Graviers » 2022", "bouteille", 1290, "vins-rouges", 2000, ["AOC"], ["sulfites"], 24, "Un cabernet franc souple aux arômes de fruits rouges."),
            ("CAV-002", "Saint-Nicolas-de-Bourgueil 2021", "bouteille", 1390, "vins-rouges", 2000, ["AOC", "bio"], ["sulfites"], 18, "Un rouge gourmand et croquant, à servir légèrement frais."),
            ("CAV-003", "Bourgueil « Vieilles Vignes » 2020", "bouteille", 1690, "vins-rouges", 2000, ["AOC"], ["sulfites"], 12, "Un vin de garde structuré aux notes de cassis et de réglisse."),
            ("CAV-004", "Saumur-Champigny 2022", "bouteille", 1490, "vins-rouges", 2000, ["AOC"], ["sulfites"], 20, "Fruité et soyeux, l'allié des viandes blanches."),
            ("CAV-005", "Crozes-Hermitage 2021", "bouteille", 2290, "vins-rouges", 2000, ["AOC"], ["sulfites"], 9, "Une syrah épicée aux tanins fins."),
            ("CAV-006", "Bordeaux supérieur 2020", "bouteille", 1190, "vins-rouges", 2000, ["AOC"], ["sulfites"], 15, "Un assemblage merlot et cabernet, rond et équilibré."),
            ("CAV-007", "Morgon « Côte du Py » 2022", "bouteille", 1890, "vins-rouges", 2000, ["AOC"], ["sulfites"], 0, "Un gamay profond aux arômes de cerise noire."),
            ("CAV-008", "Sancerre blanc 2023", "bouteille", 1890, "vins-blancs", 2000, ["AOC"], ["sulfites"], 30, "Un sauvignon minéral et vif, parfait avec le crottin de Chavignol."),
            ("CAV-009", "Pouilly-Fumé 2023", "bouteille", 2190, "vins-blancs", 2000, ["AOC"], ["sulfites"], 14, "Des notes de pierre à fusil et d'agrumes."),
            ("CAV-010", "Quincy 2023", "bouteille", 1390, "vins-blancs", 2000, ["AOC", "local"], ["sulfites"], 16, "Un sauvignon du Berry, frais et floral."),
            ("CAV-011", "Vouvray demi-sec 2022", "bouteille", 1490, "vins-blancs", 2000, ["AOC"], ["sulfites"], 11, "Un chenin tendre aux arômes de coing et de miel."),
            ("CAV-012", "Montlouis-sur-Loire sec 2022", "bouteille", 1590, "vins-blancs", 2000, ["AOC", "bio"], ["sulfites"], 10, "Un chenin tendu et ciselé, sur la poire et le tilleul."),
            ("CAV-013", "Muscadet Sèvre-et-Maine sur lie 2023", "bouteille", 990, "vins-blancs", 2000, ["AOC"], ["sulfites"], 26, "Le compagnon idéal des fruits de mer."),
            ("CAV-014", "Chablis 2022", "bouteille", 2090, "vins-blancs", 2000, ["AOC"], ["sulfites"], 8, "Un chardonnay minéral à la finale saline."),
            ("CAV-015", "Crémant de Loire brut", "bouteille", 1290, "vins-blancs", 2000, ["AOC"], ["sulfites"], 22, "Des bulles fines et une bouche fraîche pour l'apéritif."),
            ("CAV-016", "Rosé d'Anjou 2023", "bouteille", 890, "vins-roses", 2000, ["AOC"], ["sulfites"], 20, "Un rosé tendre et fruité, légèrement sucré."),
            ("CAV-017", "Côtes-de-Provence rosé 2023", "bouteille", 1490, "vins-roses", 2000, ["AOC"], ["sulfites"], 18, "Un rosé pâle et sec aux notes d'agrumes."),
            ("CAV-018", "Poire Williams d'Olivet", "bouteille", 3290, "spiritueux", 2000, ["local"], [], 6, "Une eau-de-vie distillée près d'Orléans, intensément fruitée."),
            ("CAV-019", "Calvados Pays d'Auge", "bouteille", 3890, "spiritueux", 2000, ["AOC"], [], 5, "Vieilli quatre ans en fût de chêne, aux notes de pomme cuite."),
            ("CAV-020", "Cognac VSOP", "bouteille", 4590, "spiritueux", 2000, ["AOC"], [], 2, "Un cognac rond aux arômes de vanille et de fruits secs."),
        ],
    },
    {
        "slug": "librairie-la-page-blanche",
        "name": "La Page Blanche",
        "trade": "Librairie",
        "description": (
            "Une librairie indépendante où chaque livre a été choisi et lu par l'équipe. "
            "Les commandes sont préparées avec soin, et le coin jeunesse attend les petits lecteurs le mercredi."
        ),
        "address": f"18 rue Jeanne-d'Arc, {TOWN}",
        "phone": "02 38 41 64 22",
        "opening_days": [2, 3, 4, 5, 6],
        "preparation_minutes": 1440,
        "products": [
            ("LIB-001", "Madame Bovary — Gustave Flaubert", "pièce", 590, "romans", 550, [], [], 6, "Le portrait d'Emma, rêveuse et étouffée par la vie de province."),
            ("LIB-002", "Les Misérables, tome 1 — Victor Hugo", "pièce", 890, "romans", 550, [], [], 4, "L'épopée de Jean Valjean, de Digne aux barricades de Paris."),
            ("LIB-003", "Le Rouge et le Noir — Stendhal", "pièce", 690, "romans", 550, [], [], 3, "L'ascension et la chute de Julien Sorel."),
            ("LIB-004", "L'Étranger — Albert Camus", "pièce", 790, "romans", 550, [], [], 8, "« Aujourd'hui, maman est morte. » Un classique du XXe siècle."),
            ("LIB-005", "La Peste — Albert Camus", "pièce", 890, "romans", 550, [], [], 5, "Une chronique d'Oran frappée par l'épidémie."),
            ("LIB-006", "Bel-Ami — Guy de Maupassant", "pièce", 450, "romans", 550, [], [], 7, "L'ambitieux Georges Duroy à la conquête de Paris."),
            ("LIB-007", "Germinal — Émile Zola", "pièce", 690, "romans", 550, [], [], 4, "La grève des mineurs du Nord, racontée avec souffle."),
            ("LIB-008", "Le Comte de Monte-Cristo, tome 1 — Alexandre Dumas", "pièce", 990, "romans", 550, [], [], 3, "La vengeance implacable d'Edmond Dantès."),
            ("LIB-009", "Du côté de chez Swann — Marcel Proust", "pièce", 890, "romans", 550, [], [], 2, "Le premier volet d'À la recherche du temps perdu."),
            ("LIB-010", "Les Liaisons dangereuses — Choderlos de Laclos", "pièce", 590, "romans", 550, [], [], 3, "Un roman épistolaire cruel et brillant."),
            ("LIB-011", "Le Grand Meaulnes — Alain-Fournier", "pièce", 550, "romans", 550, ["local"], [], 9, "Une quête d'amour et d'enfance dans la Sologne toute proche."),
            ("LIB-012", "Eugénie Grandet — Honoré de Balzac", "pièce", 450, "romans", 550, [], [], 0, "L'avarice d'un père et la patience d'une fille, à Saumur."),
            ("LIB-013", "Le Petit Prince — Antoine de Saint-Exupéry", "pièce", 790, "livres-jeunesse", 550, [], [], 12, "L'histoire du petit garçon venu de l'astéroïde B 612."),
            ("LIB-014", "Le Petit Nicolas — Sempé et Goscinny", "pièce", 690, "livres-jeunesse", 550, [], [], 10, "Les aventures drôles et tendres d'un écolier et de sa bande."),
            ("LIB-015", "Vendredi ou la Vie sauvage — Michel Tournier", "pièce", 650, "livres-jeunesse", 550, [], [], 6, "Robinson et Vendredi réinventés pour les jeunes lecteurs."),
            ("LIB-016", "Les Contes du chat perché — Marcel Aymé", "pièce", 790, "livres-jeunesse", 550, [], [], 5, "Delphine, Marinette et les animaux de la ferme."),
            ("LIB-017", "Astérix le Gaulois — Goscinny et Uderzo", "pièce", 1090, "bandes-dessinees", 550, [], [], 7, "Le tout premier album du petit Gaulois et de son ami Obélix."),
            ("LIB-018", "Les Aventures de Tintin : Le Lotus bleu — Hergé", "pièce", 1295, "bandes-dessinees", 550, [], [], 4, "Tintin et Milou en Chine, face aux trafiquants d'opium."),
            ("LIB-019", "Châteaux de la Loire", "pièce", 3500, "beaux-livres", 550, [], [], 2, "Un beau livre illustré de la Renaissance au fil du fleuve."),
            ("LIB-020", "Balades en Val de Loire", "pièce", 1900, "beaux-livres", 550, ["local"], [], 5, "Trente promenades à pied ou à vélo autour de Saint-Aubin."),
        ],
    },
    {
        "slug": "fleuriste-au-jardin-d-eleonore",
        "name": "Au Jardin d'Éléonore",
        "trade": "Fleuriste",
        "description": (
            "Éléonore compose des bouquets champêtres avec des fleurs cultivées en Val de Loire autant que possible. "
            "Une boutique parfumée où chaque bouquet raconte une saison."
        ),
        "address": f"9 rue des Lilas, {TOWN}",
        "phone": "02 38 41 71 36",
        "opening_days": [2, 3, 4, 5, 6, 7],
        "preparation_minutes": 180,
        "products": [
            ("FLE-001", "Bouquet champêtre", "bouquet", 2900, "bouquets", 1000, ["local", "de saison"], [], 8, "Un bouquet libre et généreux de fleurs du moment."),
            ("FLE-002", "Bouquet du marché", "bouquet", 1900, "bouquets", 1000, ["local"], [], 12, "Un petit bouquet spontané, composé le matin même."),
            ("FLE-003", "Bouquet « Val de Loire »", "bouquet", 3900, "bouquets", 1000, ["local", "de saison"], [], 5, "Des fleurs exclusivement cultivées à moins de cinquante kilomètres."),
            ("FLE-004", "Bouquet de roses rouges", "bouquet", 4500, "bouquets", 1000, [], [], 6, "Douze roses rouges à longues tiges, pour dire je t'aime."),
            ("FLE-005", "Bouquet de roses anciennes", "bouquet", 4900, "bouquets", 1000, ["local", "de saison"], [], 3, "Des roses de jardin très parfumées, aux pétales froissés."),
            ("FLE-006", "Bouquet de pivoines", "bouquet", 3500, "bouquets", 1000, ["de saison"], [], 2, "Des pivoines Sarah Bernhardt roses et pulpeuses."),
            ("FLE-007", "Bouquet de lisianthus", "bouquet", 3200, "bouquets", 1000, [], [], 7, "Des fleurs délicates qui tiennent longtemps en vase."),
            ("FLE-008", "Bouquet de fleurs séchées", "bouquet", 3400, "bouquets", 1000, ["fait maison"], [], 10, "Un bouquet éternel d'herbes folles, de lavande et d'hortensias."),
            ("FLE-009", "Botte de tulipes", "botte", 1290, "bouquets", 1000, ["de saison"], [], 15, "Dix tulipes de couleurs assorties."),
            ("FLE-010", "Botte de renoncules", "botte", 1490, "bouquets", 1000, ["de saison"], [], 9, "Des renoncules aux pétales de soie, en camaïeu de pastel."),
            ("FLE-011", "Brassée de mimosa", "botte", 1590, "bouquets", 1000, ["de saison"], [], 0, "Un rayon de soleil venu du massif du Tanneron."),
            ("FLE-012", "Brin de muguet", "pièce", 300, "bouquets", 1000, ["de saison", "local"], [], 40, "Le porte-bonheur du 1er mai."),
            ("FLE-013", "Orchidée Phalaenopsis", "pièce", 2990, "plantes", 1000, [], [], 6, "Une orchidée à deux hampes, fleurie plusieurs mois."),
            ("FLE-014", "Olivier en pot", "pièce", 3990, "plantes", 1000, [], [], 3, "Un jeune olivier qui aime le soleil et la terrasse."),
            ("FLE-015", "Monstera deliciosa", "pièce", 3490, "plantes", 1000, [], [], 4, "La plante d'intérieur aux grandes feuilles découpées."),
            ("FLE-016", "Pothos suspendu", "pièce", 1990, "plantes", 1000, [], [], 7, "Une plante retombante très facile à vivre."),
            ("FLE-017", "Lavande en pot", "pot", 890, "plantes", 1000, ["local"], [], 20, "Une lavande vraie qui parfumera le balcon tout l'été."),
            ("FLE-018", "Basilic en pot", "pot", 350, "plantes", 1000, ["bio", "local"], [], 25, "Un basilic grand vert à garder près de la cuisine."),
            ("FLE-019", "Cyclamen", "pot", 790, "plantes", 1000, ["de saison"], [], 14, "Des fleurs papillon qui égayent l'hiver."),
            ("FLE-020", "Cactus assortis", "pièce", 690, "plantes", 1000, [], [], 18, "Un petit cactus en pot de terre cuite, presque sans entretien."),
        ],
    },
    {
        "slug": "epicerie-fine-le-comptoir-d-aubin",
        "name": "Le Comptoir d'Aubin",
        "trade": "Épicerie fine",
        "description": (
            "Un comptoir gourmand où l'on trouve le miel du Gâtinais, les meilleures huiles et des conserves de la mer. "
            "Idéal pour composer un panier cadeau ou un apéritif improvisé."
        ),
        "address": f"31 rue Royale, {TOWN}",
        "phone": "02 38 41 83 54",
        "opening_days": [2, 3, 4, 5, 6],
        "preparation_minutes": 120,
        "products": [
            ("EPI-001", "Huile d'olive vierge extra de Provence AOP", "bouteille", 1890, "huiles-condiments", 550, ["AOP"], [], 14, "Une huile au fruité vert, aux notes d'artichaut, en bouteille de 50 cl."),
            ("EPI-002", "Huile de noix", "bouteille", 1190, "huiles-condiments", 550, [], ["fruits à coque"], 9, "Pressée à froid au moulin, pour relever les salades d'automne."),
            ("EPI-003", "Vinaigre de cidre", "bouteille", 490, "huiles-condiments", 550, ["bio"], [], 16, "Un vinaigre non filtré, doux et fruité."),
            ("EPI-004", "Vinaigre balsamique de Modène IGP", "bouteille", 1290, "huiles-condiments", 550, ["IGP"], ["sulfites"], 8, "Vieilli en fût, sirupeux et équilibré."),
            ("EPI-005", "Moutarde de Dijon à l'ancienne", "pot", 390, "huiles-condiments", 550, [], ["moutarde"], 22, "Une moutarde en grains, piquante et croquante."),
            ("EPI-006", "Moutarde au miel", "pot", 420, "huiles-condiments", 550, [], ["moutarde"], 12, "Une moutarde douce, idéale avec le jambon."),
            ("EPI-007", "Fleur de sel de Guérande IGP", "pot", 590, "huiles-condiments", 550, ["IGP"], [], 20, "Récoltée à la main dans les marais salants."),
            ("EPI-008", "Piment d'Espelette AOP", "pot", 890, "huiles-condiments", 550, ["AOP"], [], 10, "Un piment en poudre parfumé et doucement relevé."),
            ("EPI-009", "Miel de fleurs du Gâtinais", "pot", 990, "miels-confitures", 550, ["local"], [], 18, "Un miel crémeux récolté par un apiculteur de Pithiviers."),
            ("EPI-010", "Miel d'acacia", "pot", 1090, "miels-confitures", 550, ["local"], [], 11, "Un miel liquide, clair et très doux."),
            ("EPI-011", "Confiture de fraises", "pot", 590, "miels-confitures", 550, ["fait maison"], [], 15, "Cuite en chaudron de cuivre, avec de gros morceaux de fruits."),
            ("EPI-012", "Confiture d'abricots", "pot", 590, "miels-confitures", 550, ["fait maison"], [], 1, "Des abricots du Roussillon cuits avec peu de sucre."),
            ("EPI-013", "Pâte à tartiner noisettes", "pot", 790, "miels-confitures", 550, [], ["fruits à coque", "lait", "soja"], 13, "Une pâte à tartiner à 40 % de noisettes du Piémont, sans huile de palme."),
            ("EPI-014", "Rillettes de sardines", "pot", 650, "conserves", 550, [], ["poissons"], 10, "À tartiner sur du pain grillé à l'apéritif."),
            ("EPI-015", "Sardines millésimées à l'huile d'olive", "pièce", 790, "conserves", 550, [], ["poissons"], 17, "Des sardines de Bretagne qui se bonifient avec les années."),
            ("EPI-016", "Soupe de poissons de roche", "pot", 790, "conserves", 550, [], ["poissons", "crustacés", "céleri"], 6, "Un bocal d'un litre à servir avec croûtons et rouille."),
            ("EPI-017", "Foie gras de canard entier du Sud-Ouest IGP", "pot", 2490, "conserves", 550, ["IGP"], [], 4, "Un bocal de 180 g, pour les grandes occasions."),
            ("EPI-018", "Sablés de Nançay", "sachet", 490, "biscuiterie", 550, ["local"], ["gluten", "lait", "œufs"], 20, "Les célèbres sablés pur beurre de Sologne."),
            ("EPI-019", "Madeleines de Commercy", "sachet", 450, "biscuiterie", 550, [], ["gluten", "lait", "œufs"], 14, "Des madeleines bombées au beurre et au citron."),
            ("EPI-020", "Galettes bretonnes pur beurre", "sachet", 390, "biscuiterie", 550, [], ["gluten", "lait", "œufs"], 18, "Des galettes épaisses au beurre salé."),
            ("EPI-021", "Biscuits apéritifs au comté", "sachet", 450, "biscuiterie", 550, ["fait maison"], ["gluten", "lait"], 12, "Des petits sablés salés au comté affiné."),
        ],
    },
    {
        "slug": "torrefacteur-grain-de-loire",
        "name": "Grain de Loire",
        "trade": "Torréfacteur",
        "description": (
            "Matthieu torréfie chaque semaine des cafés de spécialité achetés au juste prix aux producteurs. "
            "La boutique sent bon le grain chaud, et le moulin est à votre disposition pour la mouture."
        ),
        "address": f"4 quai de la Loire, {TOWN}",
        "phone": "02 38 41 90 71",
        "opening_days": [2, 3, 4, 5, 6],
        "preparation_minutes": 120,
        "products": [
            ("TOR-001", "Éthiopie Moka Sidamo", "250 g", 890, "cafes-en-grains", 550, ["commerce équitable"], [], 25, "Un café floral aux notes de jasmin et d'agrumes."),
            ("TOR-002", "Éthiopie Yirgacheffe", "250 g", 950, "cafes-en-grains", 550, ["bio", "commerce équitable"], [], 18, "Des arômes de bergamote et de pêche blanche."),
            ("TOR-003", "Colombie Huila", "250 g", 790, "cafes-en-grains", 550, ["commerce équitable"], [], 30, "Un café rond aux notes de caramel et de fruits rouges."),
            ("TOR-004", "Brésil Santos", "250 g", 690, "cafes-en-grains", 550, [], [], 28, "Doux et chocolaté, peu acide."),
            ("TOR-005", "Guatemala Antigua", "250 g", 850, "cafes-en-grains", 550, [], [], 15, "Un café corsé aux notes de cacao et d'épices."),
            ("TOR-006", "Pérou bio équitable", "250 g", 790, "cafes-en-grains", 550, ["bio", "commerce équitable"], [], 22, "Un café de coopérative andine, équilibré et doux."),
            ("TOR-007", "Kenya AA", "250 g", 1090, "cafes-en-grains", 550, [], [], 2, "Une acidité vive et des notes de cassis."),
            ("TOR-008", "Costa Rica Tarrazú", "250 g", 920, "cafes-en-grains", 550, [], [], 10, "Un café lumineux aux notes de miel et d'abricot."),
            ("TOR-009", "Mélange maison « La Halle »", "250 g", 690, "cafes-en-grains", 550, ["fait maison"], [], 40, "Notre assemblage Brésil et Éthiopie, pour l'espresso comme pour le filtre."),
            ("TOR-010", "Espresso « Corsé »", "500 g", 1290, "cafes-en-grains", 550, ["fait maison"], [], 20, "Un assemblage puissant à la crème épaisse."),
            ("TOR-011", "Colombie décaféiné à l'eau", "250 g", 850, "cafes-en-grains", 550, [], [], 0, "Décaféiné sans solvant, tout le goût sans l'insomnie."),
            ("TOR-012", "Moulu filtre « Petit matin »", "250 g", 650, "cafes-moulus", 550, ["fait maison"], [], 25, "Une mouture moyenne pour cafetière à filtre, douce et ronde."),
            ("TOR-013", "Moulu espresso « Corsé »", "250 g", 690, "cafes-moulus", 550, ["fait maison"], [], 18, "Une mouture fine pour machine à expresso."),
            ("TOR-014", "Moulu Éthiopie pour cafetière italienne", "250 g", 890, "cafes-moulus", 550, ["commerce équitable"], [], 9, "Une mouture adaptée à la cafetière italienne, aux notes florales."),
            ("TOR-015", "Thé vert Sencha", "100 g", 790, "thes-infusions", 550, ["bio"], [], 14, "Un thé japonais herbacé et iodé."),
            ("TOR-016", "Thé noir Darjeeling", "100 g", 950, "thes-infusions", 550, [], [], 10, "Un grand cru de l'Himalaya aux notes de muscat."),
            ("TOR-017", "Earl Grey à la bergamote", "100 g", 750, "thes-infusions", 550, [], [], 16, "Un thé noir parfumé à l'huile essentielle de bergamote."),
            ("TOR-018", "Thé vert à la menthe", "100 g", 650, "thes-infusions", 550, [], [], 12, "Un gunpowder et de la menthe nanah, à servir très chaud."),
            ("TOR-019", "Chaï épicé", "100 g", 720, "thes-infusions", 550, [], [], 8, "Thé noir, cannelle, cardamome et gingembre."),
            ("TOR-020", "Rooibos vanille", "100 g", 690, "thes-infusions", 550, ["bio"], [], 11, "Une infusion sans théine, douce et réconfortante."),
            ("TOR-021", "Verveine citronnée", "sachet", 590, "thes-infusions", 550, ["local", "bio"], [], 15, "Des feuilles entières cultivées et séchées dans le Loiret."),
        ],
    },
    {
        "slug": "chocolatier-maison-varenne",
        "name": "Maison Varenne",
        "trade": "Chocolatier",
        "description": (
            "Chocolatier depuis 1952, la maison Varenne travaille la fève à la main, de la torréfaction à la tablette. "
            "Ses praslines de Montargis et son cotignac font le bonheur des gourmands de toute la région."
        ),
        "address": f"15 rue du Châtelet, {TOWN}",
        "phone": "02 38 42 05 18",
        "opening_days": [2, 3, 4, 5, 6, 7],
        "preparation_minutes": 120,
        "products": [
            ("CHO-001", "Tablette noir 70 % Équateur", "pièce", 590, "tablettes", 550, ["fait maison", "commerce équitable"], [], 30, "Un chocolat noir intense aux notes florales de cacao Nacional."),
            ("CHO-002", "Tablette noir 85 % Pérou", "pièce", 620, "tablettes", 550, ["fait maison", "bio"], [], 20, "Puissant et peu sucré, pour les amateurs de cacao."),
            ("CHO-003", "Tablette noir 64 % éclats de fèves", "pièce", 590, "tablettes", 550, ["fait maison"], [], 15, "Croquante grâce au grué de cacao torréfié."),
            ("CHO-004", "Tablette noir à l'orange confite", "pièce", 620, "tablettes", 550, ["fait maison"], [], 12, "Des écorces d'orange confites maison dans un chocolat noir 66 %."),
            ("CHO-005", "Tablette lait 42 % Madagascar", "pièce", 590, "tablettes", 550, ["fait maison"], ["lait"], 25, "Un chocolat au lait onctueux aux notes de caramel."),
            ("CHO-006", "Tablette lait caramel au beurre salé", "pièce", 640, "tablettes", 550, ["fait maison"], ["lait"], 18, "Des éclats de caramel croquant dans un lait crémeux."),
            ("CHO-007", "Tablette noir noisettes entières", "pièce", 690, "tablettes", 550, ["fait maison"], ["fruits à coque"], 1, "Des noisettes du Piémont torréfiées enrobées de chocolat noir."),
            ("CHO-008", "Tablette blanc vanille Bourbon", "pièce", 560, "tablettes", 550, ["fait maison"], ["lait"], 10, "Un chocolat blanc peu sucré relevé de vanille de Madagascar."),
            ("CHO-009", "Ballotin de pralinés assortis", "250 g", 2290, "bonbons", 2000, ["fait maison"], ["lait", "fruits à coque"], 14, "Une vingtaine de pralinés amande et noisette, enrobés noir et lait."),
            ("CHO-010", "Grand ballotin de ganaches", "500 g", 4290, "bonbons", 2000, ["fait maison"], ["lait"], 6, "Ganaches aux épices, au thé et aux fruits, pour offrir."),
            ("CHO-011", "Truffes au chocolat", "250 g", 1490, "bonbons", 2000, ["fait maison"], ["lait"], 16, "Des truffes fondantes roulées dans le cacao."),
            ("CHO-012", "Rochers praliné amande", "sachet", 1290, "bonbons", 2000, ["fait maison"], ["lait", "fruits à coque"], 10, "Des rochers croustillants aux amandes caramélisées."),
            ("CHO-013", "Orangettes", "sachet", 990, "bonbons", 2000, ["fait maison"], [], 12, "Des écorces d'orange confites enrobées de chocolat noir."),
            ("CHO-014", "Mendiants noir et lait", "sachet", 1190, "bonbons", 2000, ["fait maison"], ["lait", "fruits à coque"], 0, "Des palets de chocolat garnis de fruits secs et de raisins."),
            ("CHO-015", "Praslines de Montargis", "sachet", 990, "confiseries", 2000, ["local"], ["fruits à coque"], 20, "Des amandes enrobées de sucre caramélisé, la spécialité du Gâtinais."),
            ("CHO-016", "Cotignac d'Orléans", "pièce", 550, "confiseries", 2000, ["local"], [], 24, "La gelée de coing en boîte d'épicéa, douceur orléanaise depuis des siècles."),
            ("CHO-017", "Pâtes de fruits artisanales", "sachet", 890, "confiseries", 2000, ["fait maison"], [], 15, "Framboise, abricot, cassis et coing, roulées dans le sucre."),
            ("CHO-018", "Guimauves à la vanille", "sachet", 690, "confiseries", 2000, ["fait maison"], [], 18, "Des guimauves moelleuses coupées au couteau."),
            ("CHO-019", "Caramels au beurre salé", "sachet", 790, "confiseries", 2000, ["fait maison"], ["lait"], 22, "Des caramels tendres au beurre et à la fleur de sel."),
            ("CHO-020", "Nougat de Montélimar IGP", "100 g", 490, "confiseries", 2000, ["IGP"], ["fruits à coque", "œufs"], 14, "Un nougat tendre au miel de lavande et aux amandes."),
            ("CHO-021", "Calissons d'Aix IGP", "sachet", 1490, "confiseries", 2000, ["IGP"], ["fruits à coque"], 2, "Pâte d'amande et melon confit sous un glaçage royal."),
        ],
    },
    {
        "slug": "brasserie-les-trois-ponts",
        "name": "Brasserie des Trois Ponts",
        "trade": "Brasserie artisanale",
        "description": (
            "Une micro-brasserie installée dans l'ancienne minoterie, qui brasse avec de l'orge maltée du Loiret. "
            "Passez voir les cuves et goûter la bière du moment au comptoir."
        ),
        "address": f"40 chemin de la Minoterie, {TOWN}",
        "phone": "02 38 42 11 86",
        "opening_days": [3, 4, 5, 6],
        "preparation_minutes": 120,
        "products": [
            ("BRA-001", "La Blonde de Saint-Aubin 33 cl", "bouteille", 350, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 60, "Une blonde légère et désaltérante aux notes de céréales."),
            ("BRA-002", "La Blonde de Saint-Aubin par six", "lot de 6", 1950, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 20, "Six bouteilles de 33 cl de notre bière phare."),
            ("BRA-003", "La Blanche des Quais 33 cl", "bouteille", 350, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 40, "Une bière de blé au zeste d'orange et à la coriandre."),
            ("BRA-004", "L'Ambrée du Marché 33 cl", "bouteille", 370, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 35, "Ronde et maltée, aux notes de biscuit et de caramel."),
            ("BRA-005", "La Brune de Loire 33 cl", "bouteille", 380, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 25, "Des arômes de café torréfié et de chocolat noir."),
            ("BRA-006", "IPA « Houblon sauvage » 33 cl", "bouteille", 420, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 30, "Une IPA résineuse et fruitée, généreusement houblonnée."),
            ("BRA-007", "Saison « Fin d'été » 33 cl", "bouteille", 400, "bieres-artisanales", 2000, ["fait maison", "de saison"], ["gluten"], 12, "Une bière sèche et épicée, brassée à la fin des moissons."),
            ("BRA-008", "Pils « Loire » 33 cl", "bouteille", 330, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 45, "Une pils nette et florale, à servir bien fraîche."),
            ("BRA-009", "Red Ale « Tuffeau » 33 cl", "bouteille", 390, "bieres-artisanales", 2000, ["fait maison"], ["gluten"], 18, "Une rousse fruitée à la robe cuivrée."),
            ("BRA-010", "Stout « Nuit noire » 33 cl", "bouteille", 420, "bieres-artisanales", 2000, ["fait maison"], ["gluten"], 14, "Un stout onctueux aux notes de cacao et de réglisse."),
            ("BRA-011", "Bière au miel du Gâtinais 33 cl", "bouteille", 420, "bieres-artisanales", 2000, ["local", "fait maison"], ["gluten"], 16, "Une blonde ronde brassée avec le miel d'un apiculteur voisin."),
            ("BRA-012", "Triple « Trois Ponts » 75 cl", "bouteille", 890, "bieres-artisanales", 2000, ["fait maison"], ["gluten"], 10, "Une triple puissante à 8,5 %, refermentée en bouteille."),
            ("BRA-013", "Bière de Noël 75 cl", "bouteille", 850, "bieres-artisanales", 2000, ["fait maison", "de saison"], ["gluten"], 0, "Une ambrée épicée à la cannelle et à l'orange, pour les fêtes."),
            ("BRA-014", "Blonde sans gluten 33 cl", "bouteille", 390, "bieres-artisanales", 2000, ["fait maison"], [], 8, "Une blonde désglutinée à moins de 20 mg/kg de gluten."),
            ("BRA-015", "Blonde sans alcool 33 cl", "bouteille", 290, "jus-limonades", 550, ["fait maison"], ["gluten"], 20, "Tout le goût du houblon, à moins de 0,5 % d'alcool."),
            ("BRA-016", "Coffret découverte six bières", "lot de 6", 2190, "bieres-artisanales", 2000, ["fait maison"], ["gluten"], 2, "Six bières différentes de la brasserie, pour tout goûter."),
            ("BRA-017", "Cidre brut fermier 75 cl", "bouteille", 590, "cidres", 2000, ["local"], ["sulfites"], 15, "Un cidre pétillant et sec, pressé dans un verger du Loiret."),
            ("BRA-018", "Jus de pomme artisanal 1 L", "bouteille", 390, "jus-limonades", 550, ["local"], [], 24, "Un pur jus de pommes du Val de Loire, non filtré."),
            ("BRA-019", "Limonade artisanale 33 cl", "bouteille", 250, "jus-limonades", 550, ["fait maison"], [], 30, "Une limonade au citron pressé, peu sucrée."),
            ("BRA-020", "Crackers aux drêches", "sachet", 450, "biscuiterie", 550, ["fait maison"], ["gluten", "sésame"], 12, "Des crackers croustillants aux céréales de brassage recyclées."),
        ],
    },
    {
        "slug": "charcuterie-maison-bardin",
        "name": "Maison Bardin",
        "trade": "Charcuterie",
        "description": (
            "Charcutier-traiteur, Pierre Bardin prépare pâtés, rillettes et andouille de Jargeau dans son atelier. "
            "Chaque jour, des plats cuisinés à emporter pour le déjeuner ou le dîner."
        ),
        "address": f"11 rue Porte-Bourgogne, {TOWN}",
        "phone": "02 38 42 23 47",
        "opening_days": [2, 3, 4, 5, 6, 7],
        "preparation_minutes": 120,
        "products": [
            ("CHA-001", "Saucisson sec de montagne", "pièce", 890, "charcuterie", 550, [], ["lait"], 25, "Un saucisson d'environ 250 g séché lentement en altitude."),
            ("CHA-002", "Rosette de Lyon", "100 g", 320, "charcuterie", 550, [], ["lait"], 20, "Une rosette finement hachée, tranchée à la demande."),
            ("CHA-003", "Jambon de Bayonne IGP", "100 g", 420, "charcuterie", 550, ["IGP"], [], 22, "Affiné douze mois, tranché très fin."),
            ("CHA-004", "Jambon blanc à l'os", "tranche", 190, "charcuterie", 550, ["fait maison"], [], 40, "Cuit au torchon dans notre atelier, sans polyphosphates."),
            ("CHA-005", "Jambon persillé", "100 g", 290, "charcuterie", 550, ["fait maison"], ["sulfites"], 12, "Un jambon en gelée au persil et au vin blanc, à la bourguignonne."),
            ("CHA-006", "Coppa", "100 g", 450, "charcuterie", 550, [], [], 10, "Une échine de porc séchée aux épices, fondante."),
            ("CHA-007", "Pâté de campagne", "100 g", 220, "charcuterie", 550, ["fait maison"], ["œufs", "lait"], 18, "Un pâté rustique au foie de porc et aux échalotes."),
            ("CHA-008", "Pâté en croûte", "tranche", 390, "charcuterie", 550, ["fait maison"], ["gluten", "œufs", "lait", "fruits à coque"], 14, "Volaille, porc et pistaches dans une pâte brisée dorée."),
            ("CHA-009", "Rillettes de Tours IGP", "100 g", 290, "charcuterie", 550, ["IGP", "fait maison"], [], 20, "Des rillettes de porc cuites longuement dans leur graisse."),
            ("CHA-010", "Rillons de Touraine", "100 g", 350, "charcuterie", 550, ["fait maison"], [], 9, "Des morceaux de poitrine confits et caramélisés."),
            ("CHA-011", "Andouille de Jargeau", "100 g", 360, "charcuterie", 550, ["local", "fait maison"], [], 1, "La spécialité du Loiret, fumée au bois de hêtre."),
            ("CHA-012", "Boudin noir à l'oignon", "kg", 1590, "charcuterie", 550, ["fait maison"], [], 8, "Un boudin moelleux aux oignons confits, à poêler avec des pommes."),
            ("CHA-013", "Boudin blanc truffé", "kg", 3690, "charcuterie", 550, ["fait maison", "de saison"], ["lait", "œufs"], 5, "Un boudin délicat à la truffe noire, pour les fêtes."),
            ("CHA-014", "Saucisses de Toulouse", "kg", 1390, "charcuterie", 550, ["fait maison"], [], 16, "Une saucisse pur porc au gros hachage, pour le cassoulet."),
            ("CHA-015", "Chipolatas aux herbes", "kg", 1290, "charcuterie", 550, ["fait maison"], [], 15, "Des chipolatas fines, parfaites pour les grillades."),
            ("CHA-016", "Lardons fumés", "250 g", 390, "charcuterie", 550, ["fait maison"], [], 20, "Taillés dans la poitrine fumée au bois de hêtre."),
            ("CHA-017", "Quiche lorraine", "pièce", 1490, "traiteur", 550, ["fait maison"], ["gluten", "œufs", "lait"], 4, "Une quiche pour quatre personnes, aux lardons et à la crème."),
            ("CHA-018", "Hachis parmentier", "pièce", 750, "traiteur", 550, ["fait maison"], ["lait"], 10, "Une part généreuse, à réchauffer vingt minutes au four."),
            ("CHA-019", "Céleri rémoulade", "250 g", 350, "traiteur", 550, ["fait maison"], ["céleri", "moutarde", "œufs"], 12, "Du céleri-rave râpé dans une mayonnaise moutardée."),
            ("CHA-020", "Salade piémontaise", "250 g", 330, "traiteur", 550, ["fait maison"], ["œufs", "moutarde"], 0, "Pommes de terre, jambon, œufs et cornichons en mayonnaise."),
        ],
    },
]

VENUE: dict[str, Any] = {
    "name": "La Halle Commune",
    "town": "Saint-Aubin-sur-Loire",
    "address": "3 place de la Halle, 45000 Saint-Aubin-sur-Loire",
    "description": (
        "La Halle Commune est le tiers-lieu convivial du centre-ville, où l'on vient retirer ses commandes "
        "autour d'un café ou d'un verre. On y partage aussi des dégustations avec les commerçants "
        "et des ateliers de cuisine, de lecture et de jardinage tout au long de l'année."
    ),
    "latitude": 47.9025,
    "longitude": 1.9090,
    "slot_minutes": 30,
    "slot_capacity": 12,
    "holding_minutes": 2880,
    "booking_cutoff_minutes": 60,
    # (ISO weekday, opens, closes), local wall-clock time.
    "opening_hours": [
        (2, "16:00", "19:30"),
        (3, "16:00", "19:30"),
        (4, "16:00", "19:30"),
        (5, "16:00", "19:30"),
        (6, "09:30", "12:30"),
        (6, "14:00", "18:00"),
        (7, "09:30", "12:30"),
    ],
}

# The association's legal identity on the commission invoices (fictitious numbers, valid keys).
ASSOCIATION_IDENTITY = {
    "name": "Association des commerçants de Saint-Aubin",
    "address": "3 place de la Halle, 45000 Saint-Aubin-sur-Loire",
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
}

# Last month's demo sales (at pickup, collected), so the admin finds issued invoices: (shop slug, cents).
# The demo resident's standing order ("mon panier de la semaine"): every Saturday at 10:00, paid at
# pickup, (SKU, quantity) of products from three shops that all prepare orders on Saturdays.
STANDING_ORDER_WEEKDAY, STANDING_ORDER_TIME = 6, "10:00"
STANDING_ORDER_LINES: list[tuple[str, int]] = [("BOU-001", 2), ("BOU-008", 4), ("FRO-001", 2), ("PRI-001", 1)]

LAST_MONTH_SALES: list[tuple[str, int]] = [
    ("boulangerie-du-marche", 2380),
    ("boulangerie-du-marche", 1150),
    ("fromagerie-la-cave-d-affinage", 4725),
]
